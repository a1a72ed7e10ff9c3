"""The one cache layer (``cop.caching``): values computed once per key and version while young,
least recently used entries evicted at the bound, nothing kept with the caches off."""

from cop import caching
from cop.caching import VersionedCache


def test_a_value_is_computed_once_per_key_and_version_and_the_least_recently_used_goes_first():
    cache, computed = VersionedCache(size=2, max_age=60), []

    def compute(value):
        def run():
            computed.append(value)
            return value

        return run

    assert cache.get("a", compute("a"), version=0) == "a"
    assert cache.get("a", compute("a-again"), version=0) == "a"  # a hit: not computed again
    assert cache.get("a", compute("a-v1"), version=1) == "a-v1"  # another version: computed anew
    cache.get("b", compute("b"), version=0)
    cache.get("a", compute("a-third"), version=1)  # "a" is now the most recently used
    cache.get("c", compute("c"), version=0)  # over the bound: "b" goes
    assert len(cache) == 2 and computed == ["a", "a-v1", "b", "c"]
    cache.get("b", compute("b-again"), version=0)
    assert computed[-1] == "b-again" and (cache.hits, cache.misses) == (2, 5)


def test_an_entry_older_than_max_age_is_computed_again(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: now[0])
    cache = VersionedCache(size=4, max_age=300)
    assert cache.get("report", lambda: 1, version=0) == 1
    now[0] += 299
    assert cache.get("report", lambda: 2, version=0) == 1
    now[0] += 1
    assert cache.get("report", lambda: 3, version=0) == 3


def test_the_switch_turns_every_cache_off(app):
    app.config["CACHES_OFF"] = True
    cache = caching.cache("reports", size=4, max_age=300)
    assert [cache.get("k", lambda n=n: n, version=0) for n in (1, 2)] == [1, 2]
    assert len(cache) == 0
    app.config["CACHES_OFF"] = False
    assert [cache.get("k", lambda n=n: n, version=0) for n in (3, 4)] == [3, 3]
    assert caching.cache("reports", size=4, max_age=300) is cache  # one per application and name
