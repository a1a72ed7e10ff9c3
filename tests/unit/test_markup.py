import time

import pytest

from cop.markup import MAX_MARKDOWN_CHARS, MarkupError, render_markdown


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("[x](vbscript:msgbox)", "vbscript:"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ('<p style="position:fixed">x</p>', "style="),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ],
)
def test_dangerous_markup_is_removed(source, forbidden):
    assert forbidden not in render_markdown(source).lower()


def test_markdown_features_and_safe_links():
    html = render_markdown(
        "**bold** [site](https://example.com) [mail](mailto:a@example.com)\n\n"
        "```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'href="mailto:a@example.com"' in html
    assert '<code class="language-python">' in html
    assert "<table>" in html


def test_oversized_input_is_refused():
    with pytest.raises(MarkupError, match="too long"):
        render_markdown("a" * (MAX_MARKDOWN_CHARS + 1))


@pytest.mark.parametrize("source", ["[" * 20000, "(" * 20000, "> " * 200 + "deep", "- " * 200 + "deep"])
def test_pathological_input_is_refused_quickly(source):
    started = time.perf_counter()
    with pytest.raises(MarkupError):
        render_markdown(source)
    # A refusal is a cheap scan, not a render; a generous bound keeps this stable on a busy machine.
    assert time.perf_counter() - started < 1.0
