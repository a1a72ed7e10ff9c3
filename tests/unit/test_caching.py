"""The fragment cache: one rendering per key, least recently used entries evicted at the bound."""

from markupsafe import Markup

from cop.caching import FragmentCache


def test_each_key_is_rendered_once_and_the_least_recently_used_goes_first():
    cache, rendered = FragmentCache(size=2), []

    def render(text):
        def caller():
            rendered.append(text)
            return Markup(f"<p>{text}</p>")

        return caller

    assert cache(("a",), render("a")) == Markup("<p>a</p>")
    assert cache(("a",), render("a-again")) == Markup("<p>a</p>")  # a hit: not rendered again
    cache(("b",), render("b"))
    cache(("a",), render("a-third"))  # "a" is now the most recently used
    cache(("c",), render("c"))  # over the bound: "b" goes
    assert len(cache) == 2 and rendered == ["a", "b", "c"]
    cache(("b",), render("b-again"))
    assert rendered[-1] == "b-again" and (cache.hits, cache.misses) == (2, 4)
