"""The platform-wide guidelines every community shows and members accept.

Each has a stable key so a flag can name the guideline a post breaks.
"""

from functools import cache

from cop.markup import render_markdown

PLATFORM_GUIDELINES = [
    (
        "be-yourself",
        "Be who you are",
        "Post under your own name and speak for yourself, not for the company, unless that is your job.",
    ),
    (
        "confidentiality",
        "Respect confidentiality and copyright",
        "Do not share customer data, secrets or material you have no right to share. Link, credit and quote fairly.",
    ),
    (
        "think-first",
        "Think before you post",
        "What you write stays, and colleagues across the company read it. Be accurate, and be kind.",
    ),
    (
        "add-value",
        "Add value",
        "Help others do their work better: answer, share what you learned, and keep threads on topic.",
    ),
    (
        "respect",
        "Respect your colleagues",
        "No harassment, insults or discrimination. Disagree with ideas, not people.",
    ),
    ("own-mistakes", "Own your mistakes", "If you get something wrong, correct it openly and quickly."),
]


@cache
def platform_guidelines_html() -> str:
    """The guidelines as sanitized HTML: a constant, rendered once per process (not on every page)."""
    items = "\n".join(f"{i}. **{title}.** {text}" for i, (_key, title, text) in enumerate(PLATFORM_GUIDELINES, 1))
    return render_markdown(items)
