"""A report as one self-contained HTML page: inline SVG map and charts, no script, no
network resource, everything escaped; it prints on A4."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from radiocli.report.model import Report, Table
from radiocli.report.numbers import fmt_num, shown
from radiocli.report.spreadsheet import violation_table
from radiocli.report.words import H

MAX_ROWS = 2000  # per table; the CSV and XLSX have every row

CHART_TITLES = {
    "per_day": ("Số phút phát mỗi ngày", "Minutes aired per day"),
    "per_district": ("Số phút phát theo quận, huyện", "Minutes aired per district"),
    "per_station": ("Số phút phát theo xã, phường, thị trấn", "Minutes aired per commune"),
    "status": ("Kết quả thực hiện kế hoạch", "Planned occurrences by outcome"),
}

STYLE = """
@page { size: A4; margin: 20mm 15mm 20mm 25mm; }
body { font-family: "Times New Roman", Times, "Liberation Serif", serif; font-size: 13pt;
       color: #111; margin: 2em auto; max-width: 190mm; line-height: 1.35; }
h1 { font-size: 16pt; text-align: center; margin: 0.2em 0; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; }
p.subject { text-align: center; font-weight: bold; margin: 0.2em 0 1em; }
p.lead { text-align: justify; text-indent: 1cm; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; }
th, td { border: 1px solid #888; padding: 2px 5px; font-size: 11pt; vertical-align: top; }
thead th { background: #e8eef5; }
td.n { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; background: #f4f4f4; }
tr.group th { text-align: left; background: #fbf3e0; }
table.figures { width: auto; }
figure { margin: 1em 0; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
svg { max-width: 100%; height: auto; }
.note { font-size: 11pt; }
@media print {
  body { margin: 0; max-width: none; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def bar_chart(title: str, points: list[tuple[str, float]], lang: str, width: int = 860,
              height: int = 260) -> str:
    """A bar chart as inline SVG (no scripts, no fonts)."""
    esc = html.escape
    if not points:
        return f"<figure><figcaption>{esc(title)}</figcaption><p>—</p></figure>"
    top = max(v for _label, v in points) or 1.0
    left, bottom, pad = 60, 60, 10
    plot_w = width - left - pad
    plot_h = height - bottom - pad
    step = plot_w / len(points)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{esc(title)}">',
        f'<line x1="{left}" y1="{pad + plot_h}" x2="{width - pad}" y2="{pad + plot_h}" '
        'stroke="#555"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = pad + plot_h - frac * plot_h
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{esc(fmt_num(round(top * frac), lang))}</text>')
    every = max(1, len(points) // 31)
    for i, (label, value) in enumerate(points):
        h = value / top * plot_h
        x = left + i * step + (step - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{pad + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#2b6cb0"><title>{esc(str(label))}: {esc(fmt_num(value, lang))}</title></rect>'
        )
        if i % every == 0:
            lx = x + bar / 2
            parts.append(
                f'<text x="{lx:.1f}" y="{pad + plot_h + 12}" font-size="9" text-anchor="end" '
                f'transform="rotate(-45 {lx:.1f} {pad + plot_h + 12})">{esc(str(label))}</text>'
            )
    parts.append("</svg>")
    return f"<figure><figcaption>{esc(title)}</figcaption>{''.join(parts)}</figure>"


def _table(table: Table, lang: str, max_rows: int = MAX_ROWS) -> str:
    esc = html.escape
    columns = table.brief()
    head = "".join(f"<th>{esc(c.heading)}</th>" for c in columns)
    body: list[str] = []
    current: Any = object()
    counts = Counter(r.get(table.group) for r in table.rows) if table.group else Counter()
    for row in table.rows[:max_rows]:
        if table.group and row.get(table.group) != current:
            current = row.get(table.group)
            count = counts[current]
            name = row.get(f"{table.group}_name", "")
            body.append(f'<tr class="group"><th colspan="{len(columns)}">'
                        f"{esc(str(current))} {esc(str(name))} ({esc(fmt_num(count, lang))})"
                        "</th></tr>")
        body.append("<tr>" + "".join(_cell(c.kind, row.get(c.key), lang)
                                     for c in columns) + "</tr>")
    foot = ""
    if table.total is not None:
        foot = "<tfoot><tr>" + "".join(_cell(c.kind, table.total.get(c.key), lang)
                                       for c in columns) + "</tr></tfoot>"
    more = ""
    if len(table.rows) > max_rows:
        more = '<p class="note">' + esc(H(
            lang, f"… và {fmt_num(len(table.rows) - max_rows, lang)} dòng nữa (xem CSV/XLSX).",
            f"… and {len(table.rows) - max_rows:,} more rows (see CSV/XLSX).")) + "</p>"
    return (f'<section><h2>{esc(table.title)}</h2><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody>{foot}</table>{more}</section>")


def _cell(kind: str, value: Any, lang: str) -> str:
    text = html.escape(shown(kind, value, lang))
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool) and kind != "code"
    return f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>"


def to_html(report: Report) -> str:
    from radiocli.report.mapping import to_svg

    esc = html.escape
    map_svg = to_svg(report)
    lang = report.lang
    figures = ""
    if report.figures:
        figures = ('<table class="figures"><tbody>' + "".join(
            f"<tr><th>{esc(label)}</th>{_cell(kind, value, lang)}</tr>"
            for label, value, kind in report.figures) + "</tbody></table>")
    charts = "".join(
        bar_chart(H(lang, *CHART_TITLES.get(name, (name, name))), points, lang)
        for name, points in report.charts.items()
    )
    tables = "".join(_table(t, lang) for t in report.tables)
    violations = report.extra.get("violations") or []
    if violations:
        tables += _table(violation_table(violations, lang), lang)
    notes = ""
    if report.notes:
        notes = (f"<section><h2>{esc(H(lang, 'Những gì không được tính và lý do', 'Left out, and why'))}"
                 "</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in report.notes)
                 + "</ul></section>")
    drawn = ""
    if map_svg:
        drawn = (f'<figure class="map"><figcaption>{esc(report.map_caption)}</figcaption>'
                 f"{map_svg}</figure>")
    subject = f'<p class="subject">{esc(report.subject)}</p>' if report.subject else ""
    return (
        f'<!DOCTYPE html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(report.title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{esc(report.title)}</h1>{subject}</header>"
        f'<p class="lead">{esc(report.headline)}</p>{figures}{drawn}{charts}{tables}{notes}'
        "</body></html>\n"
    )

