"""Small inline SVG bar charts for the reports: counts only, drawn by hand, no plotting library.

Each function returns one `<svg>` element as text, with every label escaped, a `<title>` for
screen readers and the exact count written beside each bar, so that the chart never says more
or less than the table next to it. WeasyPrint and browsers both render them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f5f8b", "#5b9bd5", "#7fb77e", "#e0a030", "#c0504d", "#8064a2", "#4bacc6", "#9c9c9c")
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
ROW, GAP, LABEL_W, VALUE_W, TITLE_H = 14, 8, 150, 70, 22


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]  # one per group
    color: str


def _text(
    x: float, y: float, text: str, size: int = 10, anchor: str = "start", bold: bool = False
) -> str:
    weight = " font-weight='bold'" if bold else ""
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {FONT}"
        f"{weight}>{escape(text)}</text>"
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img'><title>{escape(title)}</title>"
        + _text(0, 14, title, 12, bold=True)
        + "".join(body)
        + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str]], y: float, width: int) -> tuple[list[str], float]:
    """Legend entries laid out left to right, wrapping; returns the elements and the next y."""
    out, x = [], 0.0
    for name, color in items:
        w = 16 + 6.2 * len(name) + 14
        if x + w > width and x > 0:
            x, y = 0.0, y + 16
        out.append(f"<rect x='{x:.1f}' y='{y - 9:.1f}' width='10' height='10' fill='{color}'/>")
        out.append(_text(x + 14, y, name, 9))
        x += w
    return out, y + 18


def grouped_bars(
    title: str, groups: Sequence[str], series: Sequence[Series], width: int = 660
) -> str:
    """One block per group (an entity), one horizontal bar per series (a step of the run)."""
    named = [(s.name, s.color) for s in series if s.name]
    legend, top = _legend(named, TITLE_H + 14, width) if named else ([], float(TITLE_H + 6))
    plot = width - LABEL_W - VALUE_W
    peak = max([v for s in series for v in s.values] + [1])
    body, y = list(legend), top
    for gi, group in enumerate(groups):
        block = len(series) * ROW
        body.append(_text(LABEL_W - 8, y + block / 2 + 4, group, 10, "end", bold=True))
        for s in series:
            value = s.values[gi]
            w = plot * value / peak
            body.append(
                f"<rect x='{LABEL_W}' y='{y + 1}' width='{max(w, 0.5):.1f}' height='{ROW - 3}' "
                f"fill='{s.color}'><title>{escape(f'{group} {s.name}: {value:,}')}</title></rect>"
            )
            body.append(_text(LABEL_W + w + 4, y + ROW - 4, f"{value:,}", 9))
            y += ROW
        y += GAP
    return _svg(width, int(y + 4), title, body)


def stacked_bars(
    title: str, rows: Sequence[tuple[str, Sequence[tuple[str, int]]]], width: int = 660
) -> str:
    """One horizontal bar per row, split into named parts (transferred, each exclusion reason);
    each bar is scaled to its own total so that the shares stay readable for small entities."""
    names: list[str] = []
    for _, parts in rows:
        names += [n for n, _ in parts if n not in names]
    colors = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    legend, y = _legend([(n, colors[n]) for n in names], TITLE_H + 14, width)
    plot = width - LABEL_W - VALUE_W
    body = list(legend)
    for label, parts in rows:
        total = sum(v for _, v in parts)
        body.append(_text(LABEL_W - 8, y + 12, label, 10, "end", bold=True))
        x = float(LABEL_W)
        for name, value in parts:
            w = plot * value / total if total else 0.0
            if w > 0:
                body.append(
                    f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='16' "
                    f"fill='{colors[name]}'><title>{escape(f'{label} {name}: {value:,}')}"
                    "</title></rect>"
                )
            x += w
        body.append(_text(LABEL_W + plot + 4, y + 12, f"{total:,}", 9))
        y += 16 + GAP
    return _svg(width, int(y + 4), title, body)


def simple_bars(
    title: str, items: Sequence[tuple[str, int]], color: str = PALETTE[0], width: int = 660
) -> str:
    """One bar per item (a category), on one scale, without a legend."""
    values = Series("", tuple(v for _, v in items), color)
    return grouped_bars(title, [n for n, _ in items], [values], width)
