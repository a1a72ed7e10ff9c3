"""Markdown → sanitized HTML. Rendered once, when text is written.

The stored HTML is what pages show, so rendering and sanitizing happen in
exactly one place. Input is bounded before python-markdown sees it, because
its inline parser is quadratic on some inputs (``"[" * 20000`` takes about a
minute), and a request must never tie up a worker that long.
"""

import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from markupsafe import Markup

MAX_MARKDOWN_CHARS = 64 * 1024
MAX_UNCLOSED_BRACKETS = 500
MAX_NESTING = 50

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

MENTION_PATTERN = r"(?<![\w@/.])@([A-Za-z0-9_]{2,40})\b"
_MENTION = re.compile(MENTION_PATTERN)

MAX_TAG_LIKE = 1000
_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_SQUARE_BRACKETS = re.compile(r"[\[\]]")
_NESTING = re.compile(r"^[ \t]*((?:>[ \t]*|[-*+][ \t]+|\d+[.)][ \t]+){%d,})" % MAX_NESTING, re.M)


class MarkupError(ValueError):
    """The text cannot be rendered safely; the message is shown to the user."""


def check_renderable(text: str) -> None:
    """Refuse text that is too large or shaped to make the renderer slow.

    :raise MarkupError: with a message fit to show next to the field.
    """
    if len(text) > MAX_MARKDOWN_CHARS:
        raise MarkupError(f"This text is too long: at most {MAX_MARKDOWN_CHARS // 1024} KB.")
    if (
        text.count("[") - text.count("]") > MAX_UNCLOSED_BRACKETS
        or text.count("(") - text.count(")") > MAX_UNCLOSED_BRACKETS
    ):
        raise MarkupError("This text has too many unclosed brackets to format; please close them or remove some.")
    if len(_TAG_LIKE.findall(text)) > MAX_TAG_LIKE:
        # python-markdown's raw-HTML and autolink scanning is slow on thousands of "<x".
        raise MarkupError(
            f"This text has more than {MAX_TAG_LIKE} HTML-like tags; please remove some or put code in a fenced block."
        )
    if _deepest_square_brackets(text) > MAX_NESTING:
        raise MarkupError(f"This text nests square brackets more than {MAX_NESTING} levels deep; please remove some.")
    if _NESTING.search(text):
        raise MarkupError(f"This text nests quotes or lists more than {MAX_NESTING} levels deep.")


def _deepest_square_brackets(text: str) -> int:
    """How deeply ``[`` nest. Each open one makes the link pattern scan ahead for its
    match, so deep nesting is slow even when balanced (``"[" * 8000 + "]" * 8000``
    took 15 s, a 64 KB one minutes), like many unclosed brackets."""
    depth = deepest = 0
    for bracket in _SQUARE_BRACKETS.findall(text):
        if bracket == "[":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def candidate_mentions(text: str) -> set[str]:
    """The lowercased handles written as ``@handle`` in ``text`` (code included; cheap)."""
    return {m.lower() for m in _MENTION.findall(text or "")}


class _MentionProcessor(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a",)  # no link inside a link: ``[@x](url)`` stays one link

    def __init__(self, pattern, md, links):
        super().__init__(pattern, md)
        self.links = links

    def handleMatch(self, m, data):
        url = self.links.get(m.group(1).lower())
        if url is None:  # unknown handles stay plain text
            return None, None, None
        element = etree.Element("a")
        element.set("href", url)
        # Atomic: otherwise an enclosing pattern (``**@x**``, ``[@x](...)``) runs this
        # one again on the link's own text and nests a second, duplicate link in it.
        element.text = AtomicString("@" + m.group(1))
        return element, m.start(0), m.end(0)


class _MentionExtension(Extension):
    def __init__(self, links):
        super().__init__()
        self.links = links

    def extendMarkdown(self, md):
        # Inline patterns never run inside code spans or blocks. Below "link" (160), so
        # a link's text is matched with the link as ancestor (see ANCESTOR_EXCLUDES),
        # and below "html" (90), so an ``@x`` inside a raw tag's attribute is left alone.
        md.inlinePatterns.register(_MentionProcessor(MENTION_PATTERN, md, self.links), "mention", 85)


def render_markdown(text: str, mentions: dict[str, str] | None = None) -> str:
    """Render user Markdown to sanitized HTML (a plain ``str``, ready to store).

    Links keep only http, https and mailto schemes and get
    ``rel="noopener noreferrer nofollow"``; anything else is stripped.
    ``mentions`` maps lowercased handles to profile URLs: ``@handle`` becomes
    a link for those, and stays plain text for any other handle.

    :raise MarkupError: if the text is refused by ``check_renderable``.
    """
    text = (text or "").replace("\r\n", "\n")
    check_renderable(text)
    extensions = ["fenced_code", "tables", "sane_lists"]
    if mentions:
        extensions.append(_MentionExtension(mentions))
    html = markdown.markdown(text, extensions=extensions, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
    )


_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep ``class`` only as a code block's language: users must not borrow the
    site's own classes (fake flash messages, buttons or mention links)."""
    if attribute == "class":
        return value if tag == "code" and _LANGUAGE_CLASS.match(value) else None
    return value


def safe_html(stored_html: str) -> Markup:
    """Jinja filter ``|safe_html``: mark stored, already-sanitized HTML as safe."""
    return Markup(stored_html or "")
