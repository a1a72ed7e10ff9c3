"""Line diffs between two versions of a text (post revisions, library documents)."""
import difflib


def unified_diff(before: str, after: str, context: int = 2) -> list[str]:
    """The unified diff from ``before`` to ``after`` as lines, without the file header.

    Each line starts with ``+`` (added), ``-`` (removed), `` `` (context) or
    ``@@`` (the start of a hunk); identical texts give an empty list.
    """
    lines = difflib.unified_diff((before or "").splitlines(), (after or "").splitlines(),
                                 "before", "after", lineterm="", n=context)
    return list(lines)[2:]


def line_class(line: str) -> str:
    """The CSS class of one diff line: ``add``, ``del``, ``hunk`` or ``ctx``."""
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "ctx"
