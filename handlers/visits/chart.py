"""The /baocao chart: visits per week (the trend) beside services given by kind, as PNG bytes.

Rendered server-side with matplotlib's Agg canvas on a `Figure` object (no pyplot: no global state, safe in
worker threads). DejaVu Sans ships with matplotlib and has every Vietnamese glyph. matplotlib is imported
when a chart is drawn, not when the plugin loads: it costs a third of a second that `troly ask` and `chat` do
not need.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

from bot.textutil import number
from handlers.visits.catalogue import SERVICE_BY_CODE, ordered_codes

FONT = "DejaVu Sans"
# Room for the rotated week labels below and the longest service label ("Thanh toán không dùng tiền mặt") left
# of the second chart, measured on the rendered image.
TITLE_Y = 1.02  # placed, not fitted around the tick labels (fitting measured every label's extent twice)
MARGINS = {"left": 0.08, "right": 0.98, "bottom": 0.2, "top": 0.86, "wspace": 0.75, "width_ratios": (1, 1.2)}


def render_chart(title: str, weeks: list[tuple[date, int]], services: Counter[str]) -> bytes | None:
    """PNG bytes, or None when there is nothing to draw."""
    if not any(count for _, count in weeks) and not services:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    grouped = FuncFormatter(lambda value, _position: number(int(value)))  # 10.000, as Vietnamese write it

    figure = Figure(figsize=(9, 4.2), dpi=100)  # fixed margins: a layout engine would draw everything twice
    FigureCanvasAgg(figure)
    trend, kinds = figure.subplots(1, 2, gridspec_kw=MARGINS)
    labels = [day.strftime("%d/%m") for day, _ in weeks]
    trend.bar(labels, [count for _, count in weeks], color="#2a7ab9")
    trend.set_title("Lượt thăm theo tuần (tuần bắt đầu ngày)", fontsize=10, fontname=FONT, y=TITLE_Y)
    trend.tick_params(axis="x", labelrotation=45, labelsize=8)
    trend.yaxis.get_major_locator().set_params(integer=True)
    trend.yaxis.set_major_formatter(grouped)
    codes = ordered_codes(set(services))
    kinds.barh([SERVICE_BY_CODE[code].label for code in codes], [services[code] for code in codes], color="#e07b39")
    kinds.invert_yaxis()
    kinds.set_title("Dịch vụ đã hỗ trợ (tháng này)", fontsize=10, fontname=FONT, y=TITLE_Y)
    kinds.tick_params(axis="y", labelsize=8)
    kinds.xaxis.get_major_locator().set_params(integer=True)
    kinds.xaxis.set_major_formatter(grouped)
    figure.suptitle(f"Kết quả hỗ trợ hộ dân {title}", fontsize=12, fontname=FONT)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
