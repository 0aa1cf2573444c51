"""Reports as CSV, XLSX (openpyxl) and one self-contained HTML file with inline SVG.

Text from logs never runs: CSV/XLSX cells that a spreadsheet would read as a formula
are prefixed with a quote, and HTML escapes everything.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any

from radiocli.report.cells import safe_cell
from radiocli.report.engine import H, Report
from radiocli.report.numbers import fmt_num



def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        value = str(value)
    return safe_cell(value)


def to_csv(report: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([heading for _k, heading in report.columns])
    for row in report.rows:
        w.writerow([_cell(row.get(k, "")) for k, _h in report.columns])
    return out.getvalue()


def to_xlsx(report: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = report.lang
    wb = Workbook()
    ws = wb.active
    ws.title = H(lang, "Báo cáo", "Report")
    ws.append([safe_cell(report.title)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([safe_cell(report.headline)])
    ws.append([])
    ws.append([heading for _k, heading in report.columns])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in report.rows:
        ws.append([_cell(row.get(k, "")) for k, _h in report.columns])
    for i, (key, heading) in enumerate(report.columns, start=1):
        width = max([len(str(heading))] + [len(str(r.get(key, ""))) for r in report.rows[:200]])
        ws.column_dimensions[ws.cell(row=4, column=i).column_letter].width = min(width + 2, 60)
    if report.notes:
        notes = wb.create_sheet(H(lang, "Ghi chú", "Notes"))
        notes.append([H(lang, "Những gì không được tính và lý do", "Left out, and why")])
        for note in report.notes:
            notes.append([safe_cell(note)])
    violations = report.extra.get("violations")
    if violations:
        vs = wb.create_sheet(H(lang, "Vi phạm", "Violations"))
        keys = ["station", "date", "rule", "code", "occurrence", "message"]
        vs.append([H(lang, *pair) for pair in (("Đài", "Station"), ("Ngày", "Date"),
                                                ("Quy định", "Rule"), ("Mã", "Code"),
                                                ("Buổi phát", "Occurrence"),
                                                ("Nội dung", "Message"))])
        for v in violations:
            vs.append([_cell(v.get(k, "")) for k in keys])
    wb.save(path)


# --- HTML with inline SVG ---------------------------------------------------------------


def bar_chart(title: str, points: list[tuple[str, float]], lang: str, width: int = 860,
              height: int = 260) -> str:
    """A bar chart as inline SVG (no scripts, no fonts)."""
    esc = html.escape
    if not points:
        return f"<figure><figcaption>{esc(title)}</figcaption><p>—</p></figure>"
    top = max(v for _l, v in points) or 1.0
    left, bottom, pad = 60, 50, 10
    plot_w = width - left - pad
    plot_h = height - bottom - pad
    step = plot_w / len(points)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{esc(title)}">',
        f'<line x1="{left}" y1="{pad + plot_h}" x2="{width - pad}" y2="{pad + plot_h}" '
        'stroke="#555"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = pad + plot_h - frac * plot_h
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{esc(fmt_num(round(top * frac), lang))}</text>')
    every = max(1, len(points) // 15)
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
                f'transform="rotate(-40 {lx:.1f} {pad + plot_h + 12})">{esc(str(label))}</text>'
            )
    parts.append("</svg>")
    return f"<figure><figcaption>{esc(title)}</figcaption>{''.join(parts)}</figure>"


CHART_TITLES = {
    "per_day": ("Số phút phát mỗi ngày", "Minutes aired per day"),
    "per_district": ("Số phút phát theo quận/huyện", "Minutes aired per district"),
    "status": ("Kết quả thực hiện kế hoạch", "Planned sessions by outcome"),
}


def to_html(report: Report, max_rows: int = 5000) -> str:
    esc = html.escape
    lang = report.lang
    charts = "".join(
        bar_chart(H(lang, *CHART_TITLES.get(name, (name, name))), points, lang)
        for name, points in report.charts.items()
    )
    head = "".join(f"<th>{esc(h)}</th>" for _k, h in report.columns)
    body = []
    for row in report.rows[:max_rows]:
        cells = []
        for key, _h in report.columns:
            value = row.get(key, "")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<td class="n">{esc(fmt_num(value, lang))}</td>')
            else:
                cells.append(f"<td>{esc(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(report.rows) > max_rows:
        more = "<p>" + esc(H(lang, f"… và {len(report.rows) - max_rows} dòng nữa (xem CSV/XLSX).",
                                f"… and {len(report.rows) - max_rows} more rows (see CSV/XLSX).")) + "</p>"
    notes = ""
    if report.notes:
        notes = (f"<h2>{esc(H(lang, 'Những gì không được tính và lý do', 'Left out, and why'))}"
                 "</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in report.notes) + "</ul>")
    violations = report.extra.get("violations") or []
    vhtml = ""
    if violations:
        vhtml = (f"<h2>{esc(H(lang, 'Vi phạm quy định', 'Policy violations'))} "
                 f"({len(violations)})</h2><table><tr><th>{esc(H(lang, 'Đài', 'Station'))}</th>"
                 f"<th>{esc(H(lang, 'Ngày', 'Date'))}</th><th>{esc(H(lang, 'Quy định', 'Rule'))}"
                 f"</th><th>{esc(H(lang, 'Nội dung', 'Message'))}</th></tr>"
                 + "".join(f"<tr><td>{esc(v['station'])}</td><td>{esc(v['date'])}</td>"
                           f"<td>{esc(v['rule'])}</td><td>{esc(v['message'])}</td></tr>"
                           for v in violations[:max_rows]) + "</table>")
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
        "margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
        "th{background:#eef}td.n{text-align:right}figure{margin:1em 0;max-width:900px}"
        "figcaption{font-weight:bold}.lead{font-size:1.1em;max-width:900px}"
    )
    return (
        f'<!DOCTYPE html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
        f"<title>{esc(report.title)}</title><style>{style}</style></head><body>"
        f"<h1>{esc(report.title)}</h1><p class=\"lead\">{esc(report.headline)}</p>"
        f"{charts}<table><tr>{head}</tr>{''.join(body)}</table>{more}{vhtml}{notes}"
        "</body></html>\n"
    )
