"""Draws waterfall panels as one self-contained SVG (or an HTML page around it): no scripts, no
external fonts or styles, hover any bar for its attributes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape

from agentkit.tracing.waterfall import Marker, Panel, Row

__all__ = ["render_html", "render_svg"]

WIDTH = 1200
PAD = 16
LABEL_WIDTH = 340
DURATION_WIDTH = 90
ROW_HEIGHT = 30
BAR_HEIGHT = 14
TITLE_HEIGHT = 28
AXIS_HEIGHT = 22
PANEL_GAP = 22
LEGEND_HEIGHT = 30
MARKER_LABEL_GAP = 70
BAR_LEFT = PAD + LABEL_WIDTH
BAR_WIDTH = WIDTH - BAR_LEFT - DURATION_WIDTH - PAD

COLOURS = {
    "turn": "#9aaabd",
    "response": "#4c78a8",
    "tool": "#59a14f",
    "reconnect": "#f28e2b",
    "other": "#bab0ac",
}
ERROR_COLOUR = "#d62728"
LEGEND = (
    ("turn", "turn"),
    ("response", "model response"),
    ("tool", "tool call"),
    ("reconnect", "reconnect"),
    ("error", "error"),
)


def render_svg(panels: Sequence[Panel]) -> str:
    parts: list[str] = []
    y = PAD
    parts.append(_legend(y))
    y += LEGEND_HEIGHT
    longest_ns = max((panel.duration_ns for panel in panels), default=0)
    for panel in panels:
        y = _panel(parts, panel, y, longest_ns)
        y += PANEL_GAP
    height = y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">'
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>' + "".join(parts) + "</svg>\n"
    )


def render_html(panels: Sequence[Panel], title: str = "agentkit trace") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#222}"
        "h1{font-size:18px;font-weight:600}</style></head><body>"
        f"<h1>{escape(title)}</h1>{render_svg(panels)}</body></html>\n"
    )


def _legend(y: int) -> str:
    parts = []
    x = PAD
    for key, label in LEGEND:
        colour = ERROR_COLOUR if key == "error" else COLOURS[key]
        parts.append(f'<rect x="{x}" y="{y + 4}" width="14" height="10" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{y + 13}" fill="#333">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    parts.append(
        f'<text x="{x + 10}" y="{y + 13}" fill="#666">▼ event (hover a bar for its attributes)</text>'
    )
    return "".join(parts)


def _panel(parts: list[str], panel: Panel, y: int, scale_ns: int) -> int:
    """One panel; every panel shares one time scale (`scale_ns` spans the bar area), so a short
    turn looks short beside a long one."""
    total_ms = panel.duration_ns / 1e6
    parts.append(
        f'<text x="{PAD}" y="{y + 18}" font-size="14" font-weight="bold" fill="#222">'
        f"{escape(panel.title)}</text>"
        f'<text x="{WIDTH - PAD}" y="{y + 18}" text-anchor="end" fill="#444">'
        f"{_clock(panel.start_ns)} · total {_duration(total_ms)}</text>"
    )
    y += TITLE_HEIGHT
    scale = BAR_WIDTH / scale_ns if scale_ns > 0 else 0.0
    rows_height = ROW_HEIGHT * len(panel.rows)
    _axis(parts, scale_ns / 1e6, y, rows_height)
    y += AXIS_HEIGHT
    for index, row in enumerate(panel.rows):
        if index % 2:
            parts.append(
                f'<rect x="{PAD}" y="{y}" width="{WIDTH - 2 * PAD}" height="{ROW_HEIGHT}" fill="#f6f7f9"/>'
            )
        _row(parts, row, y, scale)
        y += ROW_HEIGHT
    return y


def _axis(parts: list[str], total_ms: float, y: int, rows_height: int) -> None:
    step = _tick_step(total_ms)
    tick = 0.0
    while tick <= total_ms + 1e-9:
        x = BAR_LEFT + (BAR_WIDTH * tick / total_ms if total_ms > 0 else 0.0)
        parts.append(
            f'<line x1="{x:.1f}" y1="{y + AXIS_HEIGHT - 4}" x2="{x:.1f}" '
            f'y2="{y + AXIS_HEIGHT + rows_height}" stroke="#e1e4e8"/>'
            f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle" font-size="10" fill="#666">'
            f"{_duration(tick, axis=True)}</text>"
        )
        if step <= 0:
            break
        tick += step


def _row(parts: list[str], row: Row, y: int, scale: float) -> None:
    span = row.span
    duration_ms = span.duration_ns / 1e6
    label_x = PAD + 4 + 14 * row.depth
    parts.append(
        f'<text x="{label_x}" y="{y + 19}" fill="{ERROR_COLOUR if row.failed else "#222"}">'
        f"{escape(_clip(span.name, LABEL_WIDTH - 14 * row.depth))}</text>"
    )
    x = BAR_LEFT + row.offset_ns * scale
    width = span.duration_ns * scale
    colour = ERROR_COLOUR if row.failed else COLOURS[row.category]
    bar_y = y + ROW_HEIGHT - BAR_HEIGHT - 4
    tooltip = f"<title>{escape(_tooltip(row))}</title>"
    if width < 1.0:  # an instant (or a span too short to see): a diamond
        parts.append(
            f'<g><path d="M{x:.1f} {bar_y} l6 {BAR_HEIGHT / 2} l-6 {BAR_HEIGHT / 2} l-6 {-BAR_HEIGHT / 2}z" '
            f'fill="{colour}"/>{tooltip}</g>'
        )
        end_x = x + 8
    else:
        stroke = f' stroke="{ERROR_COLOUR}" stroke-width="1.5"' if row.failed else ""
        parts.append(
            f'<g><rect x="{x:.1f}" y="{bar_y}" width="{max(width, 2.0):.1f}" height="{BAR_HEIGHT}" '
            f'rx="3" fill="{colour}"{stroke}/>{tooltip}</g>'
        )
        end_x = x + max(width, 2.0)
    _markers(parts, row.markers, scale, bar_y)
    text = _duration(duration_ms)
    if row.failed and span.status_description:
        text += f" · {span.status_description}"
    parts.append(f'<text x="{end_x + 6:.1f}" y="{y + 19}" font-size="11" fill="#444">{escape(text)}</text>')


def _markers(parts: list[str], markers: Sequence[Marker], scale: float, bar_y: int) -> None:
    """A triangle per marker; markers too close to label apart share one label."""
    groups: list[list[tuple[float, Marker]]] = []
    for marker in markers:
        x = BAR_LEFT + marker.offset_ns * scale
        if groups and x - groups[-1][0][0] < MARKER_LABEL_GAP:
            groups[-1].append((x, marker))
        else:
            groups.append([(x, marker)])
    for group in groups:
        for x, marker in group:
            colour = ERROR_COLOUR if marker.error else "#222"
            parts.append(
                f'<g><path d="M{x - 4:.1f} {bar_y - 7} h8 l-4 6z" fill="{colour}"/>'
                f"<title>{escape(marker.label)}</title></g>"
            )
        x = group[-1][0]
        label = " · ".join(dict.fromkeys(marker.label for _, marker in group))
        colour = ERROR_COLOUR if any(marker.error for _, marker in group) else "#222"
        near_end = x > BAR_LEFT + BAR_WIDTH - 6 * len(label)  # keep clear of the duration text
        anchor, text_x = ("end", group[0][0] - 5) if near_end else ("start", x + 5)
        parts.append(
            f'<text x="{text_x:.1f}" y="{bar_y - 2}" font-size="9" text-anchor="{anchor}" fill="{colour}">'
            f"{escape(label)}</text>"
        )


def _tooltip(row: Row) -> str:
    span = row.span
    lines = [f"{span.name}  {_duration(span.duration_ns / 1e6)}  status {span.status}"]
    lines.extend(f"{key} = {value}" for key, value in sorted(span.attributes.items()))
    return "\n".join(lines)


def _clock(epoch_ns: int) -> str:
    """Wall-clock start, UTC, to the millisecond."""
    moment = datetime.fromtimestamp(epoch_ns / 1e9, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _tick_step(total_ms: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most about eight ticks."""
    if total_ms <= 0:
        return 0.0
    raw = total_ms / 8
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= raw)


def _duration(ms: float, *, axis: bool = False) -> str:
    if axis:
        return f"{round(ms / 1000, 6):g} s" if ms >= 1000 else f"{round(ms, 6):g} ms"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _clip(text: str, width_px: int) -> str:
    limit = max(width_px // 7, 8)
    return text if len(text) <= limit else text[: limit - 1] + "…"
