"""Line diffs between two versions of a text (post revisions, library documents)."""

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape


def unified_diff(before: str, after: str, context: int = 2) -> list[str]:
    """The unified diff from ``before`` to ``after`` as lines, without the file header.

    Each line starts with ``+`` (added), ``-`` (removed), `` `` (context) or
    ``@@`` (the start of a hunk); identical texts give an empty list.
    """
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), "before", "after", lineterm="", n=context
    )
    return list(lines)[2:]


# --- Readable diffs: side by side, with the changed words marked ---------------------------------------

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
MAX_WORD_DIFF_CHARS = 4000  # longer changed lines are marked whole: word matching is quadratic
WORD_DIFF_BUDGET = 24_000  # characters of changed lines matched word by word per diff; the rest marked whole


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff.

    ``kind``: ``equal``, ``change`` (a line replaced: its changed words in ``<del>``/``<ins>``),
    ``delete``, ``insert`` or ``skip`` (``count`` unchanged lines not shown). ``before``/``after``
    are escaped HTML (Markup) and the line numbers are 1-based, None where a side has no line.
    """

    kind: str
    before_no: int | None = None
    before: Markup = Markup("")
    after_no: int | None = None
    after: Markup = Markup("")
    count: int = 0


def side_by_side(before: str, after: str, context: int = 3, budget: int = WORD_DIFF_BUDGET) -> list[DiffRow]:
    """The diff from ``before`` to ``after`` as rows to show side by side: changed lines with
    ``context`` unchanged ones around them, skipped stretches as ``skip`` rows, and in a replaced line
    the words that changed, while ``budget`` characters of changed lines last (a rewritten 64 KB
    document would otherwise take seconds); later changed lines are marked whole. Identical texts give
    an empty list."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(context))
    if not groups or (len(groups) == 1 and all(op[0] == "equal" for op in groups[0])):
        return []
    rows: list[DiffRow] = []
    shown_to = 0  # old lines shown so far
    for group in groups:
        first = group[0][1]
        if first > shown_to:
            rows.append(DiffRow("skip", count=first - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffRow("equal", i + 1, escape(old[i]), j + 1, escape(new[j]))
                    for i, j in zip(range(i1, i2), range(j1, j2))
                )
            elif tag == "delete":
                rows.extend(DiffRow("delete", i + 1, _whole(old[i], "del")) for i in range(i1, i2))
            elif tag == "insert":
                rows.extend(DiffRow("insert", after_no=j + 1, after=_whole(new[j], "ins")) for j in range(j1, j2))
            else:  # replace: pair the lines in order, the rest are plain deletions or insertions
                pairs = min(i2 - i1, j2 - j1)
                for k in range(pairs):
                    a, b = old[i1 + k], new[j1 + k]
                    budget -= len(a) + len(b)
                    left, right = word_diff(a, b) if budget >= 0 else (_whole(a, "del"), _whole(b, "ins"))
                    rows.append(DiffRow("change", i1 + k + 1, left, j1 + k + 1, right))
                rows.extend(DiffRow("delete", i + 1, _whole(old[i], "del")) for i in range(i1 + pairs, i2))
                rows.extend(
                    DiffRow("insert", after_no=j + 1, after=_whole(new[j], "ins")) for j in range(j1 + pairs, j2)
                )
        shown_to = group[-1][2]
    if shown_to < len(old):
        rows.append(DiffRow("skip", count=len(old) - shown_to))
    return rows


def word_diff(before: str, after: str) -> tuple[Markup, Markup]:
    """Two versions of a line as escaped HTML, the words only in ``before`` in ``<del>`` and those
    only in ``after`` in ``<ins>``."""
    if len(before) + len(after) > MAX_WORD_DIFF_CHARS:
        return _whole(before, "del"), _whole(after, "ins")
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        removed, added = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            left.append(escape(removed))
            right.append(escape(added))
            continue
        if removed:
            left.append(Markup("<del>{}</del>").format(removed))
        if added:
            right.append(Markup("<ins>{}</ins>").format(added))
    return Markup("").join(left), Markup("").join(right)


def _whole(line: str, tag: str) -> Markup:
    return Markup(f"<{tag}>{{}}</{tag}>").format(line) if line else Markup("")
