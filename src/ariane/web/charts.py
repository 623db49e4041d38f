"""Inline SVG charts of dry-run and extraction counts: no script, no external resource.

Colours come from the stylesheet through classes (the CSP forbids inline styles); every number
drawn is also in the table beside the chart, so the chart is a reading aid, not the record.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup

from ariane.web.scope import ENTITY_LABELS, short_category

WIDTH, LABEL_W, BAR_H, GAP = 720, 170, 22, 10
COLOURS = 6  # part-out-0..5 in ariane.css
PLOT_W = WIDTH - LABEL_W - 150


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, cls: str, title: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.0f}" class="{cls}">'
        f"<title>{escape(title)}</title></rect>"
    )


def _svg(height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text is escaped above)


def partition_chart(counts: dict[str, Any]) -> Markup:
    """One bar per entity: transferred, then each reason for leaving rows out, as shares of the
    entity's source rows (entities differ by orders of magnitude)."""
    reasons = sorted({r for c in counts.values() for r in c["excluded"]})
    classes = {r: f"part-out-{i % COLOURS}" for i, r in enumerate(reasons)}
    body, lx, y = [], 10.0, 6
    for text, cls in [("transferred", "part-transferred"), *classes.items()]:
        width = 24 + 7 * len(text)  # a legend entry; wrap to a new line when it would not fit
        if lx + width > WIDTH:
            lx, y = 10.0, y + 20
        body.append(_rect(lx, y, 12, 12, cls, text))
        body.append(_text(lx + 16, y + 10, text, "legend"))
        lx += width
    y += 22
    for name, c in counts.items():
        y += GAP
        total = int(c["source_rows"])
        body.append(_text(LABEL_W - 8, y + 15, ENTITY_LABELS.get(name, name), "axis", "end"))
        x = float(LABEL_W)
        parts = [("transferred", int(c["transferred"]), "part-transferred")] + [
            (r, int(c["excluded"].get(r, 0)), classes[r]) for r in reasons
        ]
        for reason, n, cls in parts:
            if n and total:
                w = PLOT_W * n / total
                body.append(_rect(x, y, w, BAR_H, cls, f"{name}: {reason}: {n:,} rows"))
                x += w
        if not total:
            body.append(_rect(x, y, PLOT_W, BAR_H, "part-empty", f"{name}: no rows"))
        summary = f"{int(c['transferred']):,} of {total:,}"
        body.append(_text(LABEL_W + PLOT_W + 8, y + 15, summary, "value"))
        y += BAR_H
    return _svg(y + 12, "rows transferred and left out, per entity", body)


def category_chart(counts: dict[str, Any]) -> Markup | None:
    """Result rows per data category: transferred beside excluded (absolute counts)."""
    result = counts.get("result")
    if not result or not (result["by_category"] or result["excluded_by_category"]):
        return None
    cats = sorted(set(result["by_category"]) | set(result["excluded_by_category"]))
    top = max([*result["by_category"].values(), *result["excluded_by_category"].values(), 1])
    body, y = [], 8
    lw, pw = LABEL_W, PLOT_W
    for name in cats:
        sent = int(result["by_category"].get(name, 0))
        out = int(result["excluded_by_category"].get(name, 0))
        body.append(_text(lw - 8, y + 15, short_category(name), "axis", "end"))
        if sent:
            w = max(2.0, pw * sent / top)  # a handful of rows stays visible
            body.append(_rect(lw, y, w, BAR_H, "part-transferred", f"{name}: {sent:,} sent"))
        if out:
            w = max(2.0, pw * out / top)
            body.append(_rect(lw, y, w, BAR_H, "part-out-0", f"{name}: {out:,} excluded"))
        label = f"{sent:,} transferred" if sent else f"{out:,} excluded"
        body.append(_text(lw + pw + 8, y + 15, label, "value"))
        y += BAR_H + GAP
    return _svg(y + 4, "result rows per data category", body)
