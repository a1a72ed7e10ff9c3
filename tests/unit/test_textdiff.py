"""The readable (side-by-side, word-level) diff of library documents."""

from cop.textdiff import side_by_side, word_diff


def test_word_diff_marks_only_the_changed_words_and_escapes():
    left, right = word_diff("Run the <b>unit</b> tests daily", "Run the <b>integration</b> tests weekly")
    assert left == "Run the &lt;b&gt;<del>unit</del>&lt;/b&gt; tests <del>daily</del>"
    assert right == "Run the &lt;b&gt;<ins>integration</ins>&lt;/b&gt; tests <ins>weekly</ins>"


def test_side_by_side_rows_with_context_and_skipped_stretches():
    before = "\n".join(f"line {n}" for n in range(1, 21))
    after = before.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    rows = side_by_side(before, after, context=1)
    assert [(r.kind, r.before_no, r.after_no, r.count) for r in rows] == [
        ("skip", None, None, 8),
        ("equal", 9, 9, 0),
        ("change", 10, 10, 0),
        ("equal", 11, 11, 0),
        ("skip", None, None, 8),
        ("equal", 20, 20, 0),
        ("insert", None, 21, 0),
    ]
    change = rows[2]
    assert (change.before, change.after) == ("line <del>10</del>", "line <ins>ten</ins>")
    assert rows[-1].after == "<ins>line 21</ins>"


def test_side_by_side_of_equal_texts_is_empty_and_deletions_have_no_after_side():
    assert side_by_side("same\ntext", "same\ntext") == []
    rows = side_by_side("a\nb", "a")
    assert [(r.kind, r.before_no, r.after_no, str(r.before)) for r in rows] == [
        ("equal", 1, 1, "a"),
        ("delete", 2, None, "<del>b</del>"),
    ]


def test_word_matching_stops_at_the_budget_and_marks_the_rest_whole():
    rows = side_by_side("one two three\nfour five six\nseven", "one 2 three\nfour 5 six\nseven", budget=30)
    assert [str(r.after) for r in rows[:2]] == ["one <ins>2</ins> three", "<ins>four 5 six</ins>"]
