"""Bar charts as inline SVG built on the server: no JavaScript, readable by screen readers (title + table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


def bar_chart(title: str, bars: Sequence[Bar], *, width: int = 640, height: int = 220) -> str:
    """A vertical bar chart; the caller shows the same numbers in a table for accessibility."""
    top = max((bar.value for bar in bars), default=0) or 1
    left, bottom, gap = 36, 36, 6
    plot_w, plot_h = width - left - 8, height - bottom - 12
    step = plot_w / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{12 + plot_h}" x2="{width - 8}" y2="{12 + plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="18" class="tick" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{12 + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for index, bar in enumerate(bars):
        bar_h = plot_h * bar.value / top
        x = left + index * step + gap / 2
        y = 12 + plot_h - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - gap, 1):.1f}" height="{bar_h:.1f}" class="bar">'
            f"<title>{escape(bar.label)}: {bar.value}</title></rect>"
        )
        if bar.value:
            parts.append(f'<text x="{x + (step - gap) / 2:.1f}" y="{y - 3:.1f}" class="val">{bar.value}</text>')
        parts.append(
            f'<text x="{x + (step - gap) / 2:.1f}" y="{height - 18}" class="tick" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
