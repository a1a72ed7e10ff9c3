"""The community report as CSV, safe to open in a spreadsheet.

Text that a spreadsheet would read as a formula (a cell starting with
``= + - @``, a tab, a carriage return or another control character) is
neutralised by a leading single quote. Numbers stay numbers, negative ones
included, so the file parses back to the figures on the page.
"""

import csv
import io

from cop.oversight.objectives import STATUS_LABELS
from cop.oversight.reports import CommunityReport

DANGEROUS_START = ("=", "+", "-", "@")
UNITS = {"count": "count", "percent": "%", "hours": "hours", "ratio": "per thread", "amount": "amount"}


def neutralise(value):
    """``value`` as a CSV cell: numbers and None unchanged, risky text prefixed with a quote."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text and (text.startswith(DANGEROUS_START) or ord(text[0]) < 32 or ord(text[0]) == 127):
        return "'" + text
    return text


def _stamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def report_csv(report: CommunityReport) -> str:
    """The report's figures in blocks (a header row each, a blank row between)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*cells):
        writer.writerow([neutralise(c) for c in cells])

    row("Community report", report.name)
    row("Period (UTC)", _stamp(report.period.start), _stamp(report.period.end))
    row("Previous period (UTC)", _stamp(report.previous.start), _stamp(report.previous.end))
    row("Generated (UTC)", _stamp(report.generated_at))
    row("Main department", report.main_department or "")
    row()
    row("Section", "Figure", "Unit", "This period", "Previous period", "Change")
    for _key, title, figures in report.sections:
        for f in figures:
            row(title, f.label, UNITS[f.unit], f.value, f.previous, f.change)
    sov = report.share_of_voice.figure
    row("Share of voice", sov.label, "%", sov.value, sov.previous, sov.change)
    row()
    row(
        "Share of voice",
        "Domain tags",
        "Posts here",
        "Posts on these tags",
        "Previous posts here",
        "Previous posts on these tags",
    )
    row(
        "Share of voice",
        ", ".join(report.share_of_voice.tags),
        report.share_of_voice.posts,
        report.share_of_voice.all_posts,
        report.share_of_voice.previous_posts,
        report.share_of_voice.previous_all_posts,
    )
    row()
    row("Top contributors", "Name", "Posts", "Accepted answers", "Resources", "Helpful reactions received")
    for person in report.top_contributors:
        row("Top contributors", person.name, person.posts, person.accepted_answers, person.resources, person.helpful)
    row()
    row("Answers accepted elsewhere", "Name", "Accepted answers")
    for person in report.accepted_elsewhere:
        row("Answers accepted elsewhere", person.name, person.accepted_answers)
    row()
    row("Listening grid", "Kind", "Priority", "Threads", "Open", "Median age of open (hours)")
    for cell in report.grid:
        row("Listening grid", cell.kind, cell.priority, cell.threads, cell.open_threads, cell.median_open_age_hours)
    row()
    row("Knowledge gaps", "Search", "Times", "Answered since")
    for gap in report.gaps:
        row("Knowledge gaps", gap.query, gap.times, "yes" if gap.answered else "no")
    row()
    row(
        "Weekly trend",
        "Week from (UTC)",
        "Week to (UTC)",
        "Posts",
        "Active contributors",
        "Median time to first reply (hours)",
    )
    for point in report.trends:
        row(
            "Weekly trend",
            _stamp(point.start),
            _stamp(point.end),
            point.posts,
            point.contributors,
            point.median_first_reply_hours,
        )
    row()
    row(
        "Objectives",
        "Objective",
        "Business goal",
        "Metric",
        "Baseline",
        "Target",
        "Due",
        "Current",
        "Progress (%)",
        "Expected (%)",
        "Status",
    )
    for score in report.objectives:
        row(
            "Objectives",
            score.title,
            score.business_goal,
            score.metric.label,
            score.baseline,
            score.target,
            score.due_on.isoformat(),
            score.current,
            score.progress_percent,
            score.expected_percent,
            STATUS_LABELS[score.status],
        )
    return out.getvalue()


def listening_csv(mood) -> str:
    """The report's sentiment blocks (``cop.oversight.listening.ListeningReport``), to follow ``report_csv``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*cells):
        writer.writerow([neutralise(c) for c in cells])

    row()
    row("Sentiment", "Figure", "Unit", "This period", "Previous period", "Change")
    for f in mood.figures:
        row("Sentiment", f.label, UNITS[f.unit] if f.unit != "ratio" else "score", f.value, f.previous, f.change)
    row()
    row("Sentiment mix", "Period", "Negative", "Neutral", "Positive", "Not scored")
    for name, mix in (("This period", mood.current), ("Previous period", mood.previous)):
        row("Sentiment mix", name, mix.negative, mix.neutral, mix.positive, mix.unscored)
    row()
    row("Sentiment trend", "Week from (UTC)", "Week to (UTC)", "Negative", "Neutral", "Positive", "Mean score")
    for week in mood.trend:
        row(
            "Sentiment trend",
            _stamp(week.start),
            _stamp(week.end),
            week.mix.negative,
            week.mix.neutral,
            week.mix.positive,
            week.mix.mean,
        )
    row()
    row("Needs attention", "Thread", "Opened (UTC)", "Score")
    for item in mood.needs_attention:
        row("Needs attention", item.title, _stamp(item.created_at), item.sentiment)
    row()
    row(
        "The 5 W's",
        "Period",
        "Questions and problems",
        "Opened with the 5 W's",
        "Share (%)",
        "Median first reply with (hours)",
        "Median first reply without (hours)",
    )
    for name, use in (("This period", mood.five_ws), ("Previous period", mood.five_ws_previous)):
        row(
            "The 5 W's",
            name,
            use.threads,
            use.with_template,
            use.share,
            use.median_first_reply_with,
            use.median_first_reply_without,
        )
    row()
    row("Sentiment of the voice", "Domain tags", "Where", "Negative", "Neutral", "Positive", "Mean score")
    for name, mix in (("Here", mood.voice.here), ("All readable communities", mood.voice.everywhere)):
        row(
            "Sentiment of the voice",
            ", ".join(mood.voice.tags),
            name,
            mix.negative,
            mix.neutral,
            mix.positive,
            mix.mean,
        )
    return out.getvalue()


def value_csv(worth) -> str:
    """The report's value blocks (``cop.oversight.value.ValueReport``), to follow the other blocks."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*cells):
        writer.writerow([neutralise(c) for c in cells])

    row()
    row("Value stories", "Cycle", "This period", "Previous period")
    for cycle, (now, before) in worth.per_cycle.items():
        row("Value stories", cycle, now, before)
    row()
    row("Realized value (confirmed)", "Unit", "This period", "Stories", "Previous period", "Previous stories")
    previous = {(item.unit, item.label): item for item in worth.realized_previous}
    current = {(item.unit, item.label): item for item in worth.realized}
    for key in list(current) + [k for k in previous if k not in current]:
        now, before = current.get(key), previous.get(key)
        row(
            "Realized value (confirmed)",
            key[1],
            now.amount if now else 0,
            now.stories if now else 0,
            before.amount if before else 0,
            before.stories if before else 0,
        )
    row()
    row("Best stories", "Cycle", "Story", "Amount", "Unit", "By", "Recorded (UTC)", "Confirmed")
    for story in worth.best:
        row(
            "Best stories",
            story.cycle,
            story.text,
            story.amount,
            story.unit_label,
            story.author_name or "",
            _stamp(story.created_at),
            "yes" if story.confirmed else "no",
        )
    return out.getvalue()
