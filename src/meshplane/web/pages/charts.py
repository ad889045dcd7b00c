"""Small inline SVG charts for the pages: horizontal bars (counts per domain, consumers per port, lead times)
and stacked columns (check outcomes per run). Server-side, so they need no script and print well.

Every label is escaped through ``markupsafe``; the charts scale with the page (``viewBox``, width 100%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

__all__ = ["Bar", "Stack", "bar_chart", "legend", "stacked_columns"]

ROW = 24
LABEL_WIDTH = 210
BAR_AREA = 420
VALUE_WIDTH = 70

SVG_OPEN = (
    '<svg class="chart {kind}" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
    'preserveAspectRatio="xMinYMin meet">'
)
OUTCOME_COLOURS = {"passed": "#1a7f37", "warned": "#bf8700", "failed": "#cf222e", "skipped": "#8c959f"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: Shown at the bar's end instead of the number (``3 h 5 min`` for a duration).
    text: str | None = None
    href: str | None = None
    colour: str | None = None


@dataclass(frozen=True)
class Stack:
    """One column: a label (the run) and counts per outcome, drawn bottom-up in ``OUTCOME_COLOURS`` order."""

    label: str
    counts: dict[str, int]
    title: str = ""
    bad: bool = False


def _clip(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, longest first as given; an empty list draws a note instead of an empty frame."""
    if not bars:
        return Markup('<p class="empty">{}</p>').format(f"No data for “{title}” yet.")
    top = max((b.value for b in bars), default=0) or 1
    height = ROW * len(bars) + 8
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts = [
        Markup(SVG_OPEN).format(kind="bars", w=width, h=height),
        Markup("<title>{}</title>").format(title),
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        length = max(2.0, BAR_AREA * bar.value / top) if bar.value > 0 else 0.0
        value = bar.text if bar.text is not None else f"{bar.value:,.0f}{unit}"
        label = Markup('<text x="{x}" y="{y}" text-anchor="end">{t}</text>').format(
            x=LABEL_WIDTH - 8, y=y + 15, t=_clip(bar.label)
        )
        if bar.href:
            label = Markup('<a href="{}">{}</a>').format(bar.href, label)
        fill = Markup(' style="fill: {}"').format(bar.colour) if bar.colour else Markup("")
        parts.append(
            Markup(
                '<g class="row"><title>{tip}</title>{label}'
                '<rect class="bar" x="{x}" y="{y}" width="{len:.1f}" height="{h}" rx="3"{fill}/>'
                '<text x="{tx:.1f}" y="{ty}">{value}</text></g>'
            ).format(
                tip=f"{bar.label}: {value}",
                label=label,
                x=LABEL_WIDTH,
                y=y + 3,
                len=length,
                h=ROW - 8,
                fill=fill,
                tx=LABEL_WIDTH + length + 6,
                ty=y + 15,
                value=value,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def stacked_columns(stacks: Sequence[Stack], *, title: str) -> Markup:
    """Columns of check outcomes, oldest left; a column whose run failed gets a red mark under it."""
    if not stacks:
        return Markup('<p class="empty">No runs yet.</p>')
    column, gap, chart_h, foot = 26, 10, 110, 34
    top = max((sum(s.counts.values()) for s in stacks), default=0) or 1
    width = max(240, len(stacks) * (column + gap) + gap)
    parts = [
        Markup(SVG_OPEN).format(kind="columns", w=width, h=chart_h + foot),
        Markup("<title>{}</title>").format(title),
        Markup('<line class="axis" x1="0" y1="{y}" x2="{w}" y2="{y}"/>').format(y=chart_h + 0.5, w=width),
    ]
    for i, stack in enumerate(stacks):
        x = gap + i * (column + gap)
        y = float(chart_h)
        tip = stack.title or stack.label
        segments = []
        for outcome, colour in OUTCOME_COLOURS.items():
            count = stack.counts.get(outcome, 0)
            if not count:
                continue
            h = chart_h * count / top
            y -= h
            segments.append(
                Markup('<rect x="{x}" y="{y:.1f}" width="{w}" height="{h:.1f}" fill="{c}"/>').format(
                    x=x, y=y, w=column, h=h, c=colour
                )
            )
        mark = (
            Markup('<rect x="{x}" y="{y}" width="{w}" height="3" fill="#cf222e"/>').format(x=x, y=chart_h + 3, w=column)
            if stack.bad
            else Markup("")
        )
        parts.append(
            Markup(
                '<g class="run"><title>{tip}</title>{segments}{mark}'
                '<text x="{tx}" y="{ty}" text-anchor="middle">{label}</text></g>'
            ).format(
                tip=tip,
                segments=Markup("").join(segments),
                mark=mark,
                tx=x + column / 2,
                ty=chart_h + 20,
                label=_clip(stack.label, 6),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def legend() -> Markup:
    """The outcome colours, for under a stacked chart."""
    items = [
        Markup('<span class="badge" style="background:{c};color:#fff">{o}</span>').format(c=c, o=o)
        for o, c in OUTCOME_COLOURS.items()
    ]
    return Markup('<div class="legend small">{}</div>').format(Markup("").join(items))
