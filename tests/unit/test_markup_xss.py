"""XSS vectors through ``render_markdown``, each pinned to its exact output.

The vectors come from the OWASP XSS filter evasion cheat sheet, the mXSS
(parser mutation) literature and Markdown's own syntax: links, references,
autolinks, images, titles and fences. Every expected string below was read
and judged safe before it was pinned: no script element, no event-handler
attribute, no href or src whose scheme is anything but http, https or mailto
once the browser has decoded entities and dropped the characters its URL
parser ignores, and ``rel="noopener noreferrer nofollow"`` on every link.

Some pinned outputs look alarming and are harmless: ``onmouseover=`` inside a
quoted, entity-escaped attribute value or in plain text is only text. A
different output after a dependency upgrade is not necessarily unsafe, but it
must be read again before the new string is pinned; ``test_output_is_safe``
checks the properties above mechanically so a regression cannot slip through
as "just a new expected string".
"""

import re
from html.parser import HTMLParser

import pytest

from cop.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, render_markdown

LINK_REL = "noopener noreferrer nofollow"
MENTIONS = {"alice": "/people/alice"}

# What a browser's URL parser ignores before it reads the scheme: leading and
# trailing C0 controls and spaces, and tabs and newlines anywhere.
_URL_EDGE = "".join(chr(c) for c in range(0x21))
_URL_INSIDE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in an (already entity-decoded) URL, lowercased; None if relative."""
    match = _SCHEME.match(_URL_INSIDE.sub("", value.strip(_URL_EDGE)))
    return match.group(1).lower() if match else None


class _Inspector(HTMLParser):
    """Collects every element, attribute and comment of a fragment, with attribute values decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            elif name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in ("href", "src"):
                scheme = url_scheme(value or "")
                if scheme is not None and scheme not in URL_SCHEMES:
                    self.problems.append(f"{scheme}: URL in {name} of <{tag}>")
        if tag == "a" and values.get("rel") != LINK_REL:
            self.problems.append(f"link without rel={LINK_REL!r}: rel={values.get('rel')!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append(f"comment <!--{data}-->")

    def handle_decl(self, decl):
        self.problems.append(f"declaration <!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction <?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"declaration <![{data}]>")


def unsafe_parts(html: str) -> list[str]:
    """Everything in ``html`` that could run script, or that the allowlist should not let through."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    if re.search(r"<\s*/?\s*script", html, re.IGNORECASE):
        inspector.problems.append("a script tag")
    return inspector.problems


PLAIN_CASES = [
    # Raw HTML: elements that run script or load active content, and attributes that do.
    pytest.param("<script>alert(1)</script>", "", id="script"),
    pytest.param("<ScRiPt>alert(1)</sCrIpT>", "", id="script-mixed-case"),
    pytest.param("<scr\x00ipt>alert(1)</scr\x00ipt>", "<p>alert(1)</p>", id="script-split-by-null"),
    pytest.param("\x00<script>alert(1)</script>", "<p></p>", id="script-after-null"),
    pytest.param("<scr<script>ipt>alert(1)</script>", "<p>&lt;scr</p>", id="script-nested-in-its-name"),
    pytest.param('<<SCRIPT>alert("XSS");//\\<</SCRIPT>', "<p>&lt;</p>", id="script-double-open"),
    pytest.param("<SCRIPT SRC=http://xss.rocks/xss.js?< B >", "", id="script-src-unclosed"),
    pytest.param("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>", id="script-in-paragraph"),
    pytest.param('"><script>alert(1)</script>', '<p>"&gt;</p>', id="script-after-attribute-breakout"),
    pytest.param("<template><script>alert(1)</script></template>", "<p></p>", id="script-in-template"),
    pytest.param("<img src=x onerror=alert(1)>", '<p><img src="x"></p>', id="img-onerror"),
    pytest.param("<img src=x:alert(alt) onerror=eval(src) alt=0>", '<p><img alt="0"></p>', id="img-onerror-eval-src"),
    pytest.param(
        '<img src="https://ok.example/x.png" srcset="javascript:alert(1)">',
        '<p><img src="https://ok.example/x.png"></p>',
        id="img-srcset-javascript",
    ),
    pytest.param(
        "<IMG SRC=`javascript:alert(1)`>", '<p><img src="&lt;code">javascript:alert(1)&gt;</p>', id="img-backtick-src"
    ),
    pytest.param('<IMG """><SCRIPT>alert("XSS")</SCRIPT>">', '<p>&lt;IMG """&gt;"&gt;</p>', id="img-quote-confusion"),
    pytest.param("<svg onload=alert(1)>", "<p></p>", id="svg-onload"),
    pytest.param("<svg/onload=alert(1)>", "<p></p>", id="svg-slash-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", "<p></p>", id="svg-script"),
    pytest.param("<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "<p></p>", id="svg-animate-onbegin"),
    pytest.param('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "<p></p>", id="svg-xlink-href"),
    pytest.param(
        "<svg><style><img src=x onerror=alert(1)></style></svg>", '<p><img src="x"></p>', id="svg-style-img-mutation"
    ),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "", id="math-mglyph-mutation"),
    pytest.param(
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>", "", id="math-form-mutation"
    ),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        '&lt;p title="<img src="x">"&gt;',
        id="noscript-title-mutation",
    ),
    pytest.param('<iframe src="https://evil.example"></iframe>', "", id="iframe"),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', "", id="iframe-javascript"),
    pytest.param('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', "", id="iframe-srcdoc"),
    pytest.param('<object data="https://evil.example/x.swf"></object>', "", id="object"),
    pytest.param('<object data="javascript:alert(1)"></object>', "", id="object-javascript"),
    pytest.param('<embed src="https://evil.example/x.swf">', "<p></p>", id="embed"),
    pytest.param('<video><source onerror="alert(1)"></video>', "", id="video-source-onerror"),
    pytest.param("<audio src=x onerror=alert(1)>", "<p></p>", id="audio-onerror"),
    pytest.param("<style>body{display:none}</style>", "", id="style-element"),
    pytest.param('<div style="background:url(javascript:alert(1))">x</div>', "<div>x</div>", id="style-attribute-url"),
    pytest.param(
        "<DIV STYLE=\"width: expression(alert('XSS'));\">x</DIV>", "<div>x</div>", id="style-attribute-expression"
    ),
    pytest.param(
        '<a href="https://ok.example" style="position:fixed;top:0;left:0;width:100%;height:100%">x</a>',
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">x</a></p>',
        id="style-attribute-overlay",
    ),
    pytest.param('<XSS STYLE="behavior: url(xss.htc);">', "<p></p>", id="xss-tag-behavior"),
    pytest.param("<x onclick=alert(1)>click</x>", "<p>click</p>", id="unknown-tag-onclick"),
    pytest.param("<body onload=alert(1)>", "", id="body-onload"),
    pytest.param("<BODY BACKGROUND=\"javascript:alert('XSS')\">", "", id="body-background"),
    pytest.param("<frameset onload=alert(1)>", "<p></p>", id="frameset-onload"),
    pytest.param("<marquee onstart=alert(1)>x</marquee>", "<p>x</p>", id="marquee-onstart"),
    pytest.param(
        '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
        "<table><tbody><tr><td>x</td></tr></tbody></table>",
        id="table-background",
    ),
    pytest.param('<form action="https://evil.example"><button>go</button></form>', "go", id="form-action"),
    pytest.param('<button formaction="javascript:alert(1)">x</button>', "<p>x</p>", id="button-formaction"),
    pytest.param("<input onfocus=alert(1) autofocus>", "<p></p>", id="input-autofocus-onfocus"),
    pytest.param("<select autofocus onfocus=alert(1)></select>", "<p></p>", id="select-autofocus-onfocus"),
    pytest.param(
        "<textarea><script>alert(1)</script></textarea>", "&lt;script&gt;alert(1)&lt;/script&gt;", id="textarea-rawtext"
    ),
    pytest.param(
        "<details open ontoggle=alert(1)><summary>s</summary>x</details>",
        "<details><summary>s</summary>x</details>",
        id="details-ontoggle",
    ),
    pytest.param(
        "<details><summary onclick=alert(1)>s</summary>x</details>",
        "<details><summary>s</summary>x</details>",
        id="summary-onclick",
    ),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', "<p></p>", id="meta-refresh"),
    pytest.param('<base href="https://evil.example/">', "<p></p>", id="base-href"),
    pytest.param('<link rel="import" href="https://evil.example/x.html">', "<p></p>", id="link-import"),
    pytest.param(
        '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">', "<p></p>", id="link-stylesheet-javascript"
    ),
    pytest.param("<!--<script>alert(1)</script>-->", "", id="comment-script"),
    pytest.param("<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->", "", id="conditional-comment"),
    pytest.param(
        '<span class="x" style="color:red" onmouseover="alert(1)">x</span>',
        "<p><span>x</span></p>",
        id="allowed-tags-lose-handlers",
    ),
    pytest.param(
        '<abbr title="x" onmouseover=alert(1)>x</abbr>', '<p><abbr title="x">x</abbr></p>', id="abbr-onmouseover"
    ),
    pytest.param('<code class="x" onclick=alert(1)>x</code>', "<p><code>x</code></p>", id="code-onclick"),
    pytest.param('<ol start="1" onclick=alert(1)><li>x</li></ol>', '<ol start="1"><li>x</li></ol>', id="ol-onclick"),
    pytest.param(
        '<a href="https://ok.example" id="main" name="x">x</a>',
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">x</a></p>',
        id="id-and-name-dropped",
    ),
    # Not script, but members must not borrow the app's styles (a fake flash message): class is dropped.
    pytest.param(
        '<div class="flash flash-error" role="alert">fake</div>', "<div>fake</div>", id="role-and-class-dropped"
    ),
    # Raw <a href> / <img src> with dangerous or disguised schemes.
    pytest.param(
        '<a href="javascript:alert(1)">x</a>', '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="a-javascript"
    ),
    pytest.param(
        '<a href=" javascript:alert(1)">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-leading-space",
    ),
    pytest.param(
        '<a href="&#14;javascript:alert(1)">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-leading-control",
    ),
    pytest.param(
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-tab-entity",
    ),
    pytest.param(
        '<a href="jav&#x0A;ascript:alert(1)">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-newline-entity",
    ),
    # The parser turns NUL into U+FFFD, which is no scheme character: a harmless relative URL.
    pytest.param(
        '<a href="java\x00script:alert(1)">x</a>',
        '<p><a href="java\ufffdscript:alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-null",
    ),
    pytest.param(
        '<a href="jAvAsCrIpT&colon;alert&lpar;1&rpar;">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-named-entities",
    ),
    pytest.param(
        '<a href="javas&#99;ript:alert(1)">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-javascript-decimal-entity",
    ),
    pytest.param(
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="a-data",
    ),
    pytest.param(
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">x</a></p>',
        id="a-onclick",
    ),
    pytest.param(
        '<a href="http://ok.example" target="_blank">x</a>',
        '<p><a href="http://ok.example" rel="noopener noreferrer nofollow">x</a></p>',
        id="a-target-blank-gets-rel",
    ),
    pytest.param(
        '<a href="HTTPS://ok.example">x</a>',
        '<p><a href="HTTPS://ok.example" rel="noopener noreferrer nofollow">x</a></p>',
        id="a-uppercase-https-kept",
    ),
    pytest.param(
        '<a href="tel:123">x</a> <a href="ftp://ok.example">y</a> <a href="file:///etc/passwd">z</a>',
        '<p><a rel="noopener noreferrer nofollow">x</a> <a rel="noopener noreferrer nofollow">y</a> <a rel="noopener noreferrer nofollow">z</a></p>',
        id="a-other-schemes-dropped",
    ),
    pytest.param(
        "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
        "<p><img></p>",
        id="img-javascript-entities",
    ),
    pytest.param("<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">", "<p><img></p>", id="img-javascript-tab-entity"),
    pytest.param("<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">", "<p><img></p>", id="img-javascript-cr-entity"),
    pytest.param("<IMG SRC=\" &#14;  javascript:alert('XSS');\">", "<p><img></p>", id="img-javascript-leading-control"),
    # Markdown links, references, autolinks and images.
    pytest.param(
        "[x](javascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-javascript"
    ),
    pytest.param(
        "[x](JaVaScRiPt:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-javascript-mixed-case",
    ),
    pytest.param(
        '[x](javascript:alert(1) "title")',
        '<p><a title="title" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-javascript-with-title",
    ),
    pytest.param(
        "[x](<javascript:alert(1)>)",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-javascript-angle-brackets",
    ),
    pytest.param(
        "[x]( javascript:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-javascript-leading-space",
    ),
    pytest.param(
        "[x](\x01javascript:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-javascript-leading-control",
    ),
    pytest.param(
        "[x](&#106;avascript:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-decimal-entity",
    ),
    pytest.param(
        "[x](&#x6A;avascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-hex-entity"
    ),
    pytest.param(
        "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-all-hex-entities",
    ),
    # Without semicolons python-markdown escapes the last reference (&amp;): no colon, so a relative URL.
    pytest.param(
        "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1))",
        '<p><a href="javascript&amp;#0000058alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-padded-entities-no-semicolons",
    ),
    pytest.param(
        "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058;alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-padded-entities-colon-with-semicolon",
    ),
    pytest.param(
        "[x](javascript&colon;alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-colon-named-entity",
    ),
    pytest.param(
        "[x](javascript&#58;alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-colon-decimal-entity",
    ),
    # python-markdown expands the tab; spaces are not scheme characters: a relative URL.
    pytest.param(
        "[x](java\tscript:alert(1))",
        '<p><a href="java    script:alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-raw-tab",
    ),
    pytest.param(
        "[x](<java\nscript:alert(1)>)", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-raw-newline"
    ),
    pytest.param(
        "[x](java&#9;script:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-tab-entity"
    ),
    pytest.param(
        "[x](java&#x0A;script:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-newline-entity",
    ),
    pytest.param(
        "[x](java&#x0D;script:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-cr-entity"
    ),
    pytest.param(
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-data",
    ),
    pytest.param(
        "[x](vbscript:msgbox(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>', id="md-link-vbscript"
    ),
    pytest.param(
        '[x](https://ok.example"onmouseover="alert(1))',
        '<p><a href="https://ok.example&quot;onmouseover=&quot;alert(1" rel="noopener noreferrer nofollow">x</a>)</p>',
        id="md-link-quote-breakout",
    ),
    pytest.param(
        '[x](<https://ok.example/" onmouseover="alert(1)>)',
        '<p><a href="https://ok.example/&quot; onmouseover=&quot;alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-angle-quote-breakout",
    ),
    pytest.param(
        '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
        '<p><a href="https://ok.example" title="a\\&quot; onmouseover=\\&quot;alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-title-breakout",
    ),
    pytest.param(
        "[x](https://ok.example){onclick=alert(1)}",
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">x</a>{onclick=alert(1)}</p>',
        id="md-link-attr-list-ignored",
    ),
    pytest.param(
        "[x](mailto:a@example.com?body=<script>)",
        '<p><a href="mailto:a@example.com?body=&lt;script&gt;" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-link-mailto-with-html",
    ),
    pytest.param(
        "[<img src=x onerror=alert(1)>](https://ok.example)",
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow"><img src="x"></a></p>',
        id="md-link-html-in-text",
    ),
    pytest.param(
        "[x][1]\n\n[1]: javascript:alert(1)",
        '<p><a rel="noopener noreferrer nofollow">x</a></p>',
        id="md-reference-javascript",
    ),
    pytest.param(
        '[x][1]\n\n[1]: <javascript:alert(1)> "title"',
        '<p><a title="title" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-reference-javascript-angle-title",
    ),
    pytest.param(
        '[x][1]\n\n[1]: https://ok.example "a\\" onmouseover=\\"alert(1)"',
        '<p><a href="https://ok.example" title="a\\&quot; onmouseover=\\&quot;alert(1)" rel="noopener noreferrer nofollow">x</a></p>',
        id="md-reference-title-breakout",
    ),
    pytest.param("<javascript:alert(1)>", "<p></p>", id="md-autolink-javascript"),
    pytest.param(
        '<http://a.example/" onmouseover="alert(1)>',
        '<p><a href="http://a.example/&quot; onmouseover=&quot;alert(1)" rel="noopener noreferrer nofollow">http://a.example/" onmouseover="alert(1)</a></p>',
        id="md-autolink-quote-breakout",
    ),
    pytest.param(
        "<mailto:a@example.com>",
        '<p><a href="mailto:a@example.com" rel="noopener noreferrer nofollow">a@example.com</a></p>',
        id="md-autolink-mailto",
    ),
    pytest.param(
        "<a@example.com>",
        '<p><a href="mailto:a@example.com" rel="noopener noreferrer nofollow">a@example.com</a></p>',
        id="md-automail",
    ),
    pytest.param("![x](javascript:alert(1))", '<p><img alt="x"></p>', id="md-image-javascript"),
    pytest.param(
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", '<p><img alt="x"></p>', id="md-image-data-svg"
    ),
    pytest.param(
        '![x](https://ok.example/i.png" onerror="alert(1))',
        '<p><img alt="x" src="https://ok.example/i.png&quot; onerror=&quot;alert(1">)</p>',
        id="md-image-src-breakout",
    ),
    pytest.param(
        '![x](https://ok.example/i.png "t\\" onerror=\\"alert(1)")',
        '<p><img alt="x" src="https://ok.example/i.png" title="t\\&quot; onerror=\\&quot;alert(1)"></p>',
        id="md-image-title-breakout",
    ),
    pytest.param("![x][i]\n\n[i]: javascript:alert(1)", '<p><img alt="x"></p>', id="md-image-reference-javascript"),
    # Markdown blocks around HTML.
    pytest.param(
        "`<script>alert(1)</script>`", "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>", id="md-code-span"
    ),
    pytest.param(
        "```\n<script>alert(1)</script>\n```",
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        id="md-fenced-code",
    ),
    pytest.param(
        "```\n</code><script>alert(1)</script>\n```",
        "<pre><code>&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        id="md-fenced-code-closing-tag",
    ),
    pytest.param(
        '```x" onmouseover="alert(1)\ncode\n```',
        '<p><code>x" onmouseover="alert(1)\ncode</code></p>',
        id="md-fence-language-breakout",
    ),
    pytest.param(
        "```{.x onclick=alert(1)}\ncode\n```",
        '<pre><code class="language-x">code\n</code></pre>',
        id="md-fence-attribute-list",
    ),
    pytest.param(
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        '<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td><img src="x"></td>\n</tr>\n</tbody>\n</table>',
        id="md-table-cell-html",
    ),
    pytest.param(
        "- <script>alert(1)</script>\n  - <img src=x onerror=alert(1)>",
        '<ul>\n<li></li>\n<li><img src="x"></li>\n</ul>',
        id="md-nested-list-html",
    ),
    pytest.param(
        "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
        '<blockquote>\n<p>\n<a rel="noopener noreferrer nofollow">x</a></p>\n</blockquote>',
        id="md-blockquote-html",
    ),
    pytest.param(
        "<div>\n[x](javascript:alert(1))\n</div>",
        "<div>\n[x](javascript:alert(1))\n</div>",
        id="md-html-block-keeps-text",
    ),
]

MENTION_CASES = [
    pytest.param("@<script>alert(1)</script>", "<p>@</p>", id="at-script"),
    pytest.param("@<img src=x onerror=alert(1)>", '<p>@<img src="x"></p>', id="at-img-onerror"),
    pytest.param("@<svg onload=alert(1)>", "<p>@</p>", id="at-svg-onload"),
    pytest.param(
        "@alice<script>alert(1)</script>",
        '<p><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a></p>',
        id="handle-then-script",
    ),
    pytest.param(
        "@alice<img src=x onerror=alert(1)>",
        '<p><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a><img src="x"></p>',
        id="handle-then-img",
    ),
    pytest.param(
        '@alice" onmouseover="alert(1)',
        '<p><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a>" onmouseover="alert(1)</p>',
        id="handle-then-attribute-breakout",
    ),
    pytest.param(
        "[@alice](javascript:alert(1))",
        '<p><a rel="noopener noreferrer nofollow">@alice</a></p>',
        id="handle-in-javascript-link",
    ),
    pytest.param(
        "[@alice](https://ok.example)",
        '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">@alice</a></p>',
        id="handle-as-link-text",
    ),
    # The raw anchor is stashed before inline patterns run: the mention cannot see it, and splits it.
    pytest.param(
        '<a href="javascript:alert(1)">@alice</a>',
        '<p><a rel="noopener noreferrer nofollow"></a><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a></p>',
        id="handle-in-raw-javascript-anchor",
    ),
    pytest.param('<img src="@alice" onerror=alert(1)>', '<p><img src="@alice"></p>', id="handle-in-img-attribute"),
    pytest.param(
        "**@alice**<img src=x onerror=alert(1)>",
        '<p><strong><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a></strong><img src="x"></p>',
        id="handle-in-bold-then-img",
    ),
    pytest.param("`@alice`", "<p><code>@alice</code></p>", id="handle-in-code"),
    pytest.param("@mallory<img src=x onerror=alert(1)>", '<p>@mallory<img src="x"></p>', id="unknown-handle-then-img"),
    pytest.param(
        "@alice@<svg onload=alert(1)>",
        '<p><a href="/people/alice" rel="noopener noreferrer nofollow">@alice</a>@</p>',
        id="handle-then-handle-then-svg",
    ),
]


@pytest.mark.parametrize("source, expected", PLAIN_CASES)
def test_vector_renders_exactly(source, expected):
    assert render_markdown(source) == expected


@pytest.mark.parametrize("source, expected", MENTION_CASES)
def test_mention_vector_renders_exactly(source, expected):
    """``@`` next to HTML never yields anything but plain text or a link to a known profile."""
    assert render_markdown(source, mentions=MENTIONS) == expected


@pytest.mark.parametrize(
    "source, mentions",
    [pytest.param(case.values[0], None, id=case.id) for case in PLAIN_CASES]
    + [pytest.param(case.values[0], MENTIONS, id=case.id) for case in MENTION_CASES],
)
def test_output_is_safe(source, mentions):
    assert unsafe_parts(render_markdown(source, mentions=mentions)) == []


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param('<p><img src="x" onerror="alert(1)"></p>', id="handler"),
        pytest.param(f'<a href="java&#x09;script:alert(1)" rel="{LINK_REL}">x</a>', id="tab-in-scheme"),
        pytest.param(f'<a href="&#x01; JAVASCRIPT:alert(1)" rel="{LINK_REL}">x</a>', id="control-before-scheme"),
        pytest.param('<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;">', id="data-src"),
        pytest.param(f'<a href="vbscript:msgbox(1)" rel="{LINK_REL}">x</a>', id="vbscript-href"),
        pytest.param('<a href="https://ok.example">x</a>', id="missing-rel"),
        pytest.param("<iframe></iframe>", id="iframe"),
        pytest.param('<div style="color:red">x</div>', id="style"),
        pytest.param("<!-- x -->", id="comment"),
    ],
)
def test_safety_check_catches_unsafe_html(html):
    """The generic check must fail on what it exists to catch, or its passes mean nothing."""
    assert unsafe_parts(html)


def test_safety_check_accepts_ordinary_html():
    html = (
        f'<p><a href="https://ok.example/a?b=javascript:c" rel="{LINK_REL}">x</a> '
        f'<a href="/people/alice" rel="{LINK_REL}">@alice</a> <img src="/i.png" alt="i"> '
        "onerror=alert(1) as text</p>"
    )
    assert unsafe_parts(html) == []
