"""Server-side SVG charts: no JavaScript, no inline styles (the CSP forbids them).

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and
``<desc>``; the page puts the same numbers in a data table beside it for
screen readers and for copying. Colours come from classes in ``cop.css``.
"""

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 30


def _nice_max(values) -> float:
    """A round axis maximum at or above the largest value (1, 2, 2.5, 5 × a power of ten)."""
    top = max([v for v in values if v is not None] or [0])
    if top <= 0:
        return 1
    magnitude = 10 ** (len(str(int(top))) - 1) if top >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _frame(chart_id: str, title: str, desc: str, labels: list[str], top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for share in (0, 0.5, 1):
        y = TOP + plot_h * (1 - share)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11">{escape(_number(top * share))}{escape(unit)}</text>'
        )
    count = len(labels)
    step = (WIDTH - LEFT - RIGHT) / max(count, 1)
    shown = {0, count - 1, count // 2} if count > 2 else set(range(count))
    for i in sorted(shown):
        x = LEFT + step * (i + 0.5)
        parts.append(
            f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
            f'font-size="11">{escape(labels[i])}</text>'
        )
    return parts


def bar_chart(
    chart_id: str, title: str, desc: str, labels: list[str], values: list[float | None], unit: str = ""
) -> Markup:
    """Vertical bars, one per label (a missing value draws no bar)."""
    top = _nice_max(values)
    parts = _frame(chart_id, title, desc, labels, top, unit)
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    width = max(step * 0.7, 1)
    for i, value in enumerate(values):
        if not value:
            continue
        height = plot_h * value / top
        x = LEFT + step * i + (step - width) / 2
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}"/>'
        )
    parts.append(
        f'<line class="chart-baseline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    chart_id: str, title: str, desc: str, labels: list[str], values: list[float | None], unit: str = ""
) -> Markup:
    """A line through the known values, broken where a value is missing, with a dot on each."""
    top = _nice_max(values)
    parts = _frame(chart_id, title, desc, labels, top, unit)
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    segment: list[str] = []
    segments = []
    dots = []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = LEFT + step * (i + 0.5), TOP + plot_h * (1 - value / top)
        segment.append(f"{x:.1f},{y:.1f}")
        dots.append(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
    if segment:
        segments.append(segment)
    parts += [f'<polyline class="chart-line" fill="none" points="{" ".join(s)}"/>' for s in segments if len(s) > 1]
    parts += dots
    parts.append(
        f'<line class="chart-baseline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
