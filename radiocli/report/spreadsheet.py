"""Reports as CSV and as an Excel workbook (openpyxl).

CSV: one row per line of the report's listing, RFC 4180 (CRLF, every field with a line
break quoted); a file gets a UTF-8 byte-order mark so that Excel on Windows reads it as
UTF-8. XLSX: numbers stored as numbers with formats, dates as dates, an STT column and
a total row on every table, frozen headers, filters, fitted column widths, one sheet per
level with Vietnamese names, and native charts. Text from logs never runs as a formula
and control characters never break the file (radiocli.report.cells).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from radiocli.report.cells import safe_cell
from radiocli.report.model import (
    DATE, DATETIME, INT, NUM, NUM2, NUMERIC, PERCENT, Column, Report, Table,
)
from radiocli.report.words import H

BOM = "\ufeff"
FORMATS = {INT: "#,##0", NUM: "#,##0.0", NUM2: "#,##0.00", PERCENT: "0.0%",
           DATE: "dd/mm/yyyy", DATETIME: "dd/mm/yyyy hh:mm"}
MAX_WIDTH = 60


# --- CSV ---------------------------------------------------------------------------------


def _csv_value(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_cell(str(value))


def to_csv(report: Report, bom: bool = False) -> str:
    """The report's listing as CSV text (``bom``: start with a UTF-8 byte-order mark,
    for files Excel opens)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    columns = report.main.columns
    writer.writerow([c.heading for c in columns])
    for row in report.rows:
        writer.writerow([_csv_value(c, row.get(c.key)) for c in columns])
    return out.getvalue()


# --- XLSX --------------------------------------------------------------------------------


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.kind
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 100 if kind == PERCENT else value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return safe_cell(str(value))


def sheet_name(text: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique."""
    name = "".join("-" if ch in "[]:*?/\\" else ch for ch in text).strip("' ")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


class _Placed:
    """Where a table landed on its sheet (for charts)."""

    def __init__(self, ws: Any, header_row: int, first: int, last: int,
                 index: dict[str, int]) -> None:
        self.ws, self.header_row, self.first, self.last, self.index = \
            ws, header_row, first, last, index


def _write_table(ws: Any, table: Table, title: str) -> _Placed:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    ws.append([safe_cell(title)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=13)
    ws.append([])
    ws.append([c.heading for c in table.columns])
    header_row = ws.max_row
    fill = PatternFill("solid", fgColor="DDE6F0")
    for cell in ws[header_row]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(bottom=thin)
    widths = [len(c.heading) for c in table.columns]
    for row in table.rows:
        values = [_xlsx_value(c, row.get(c.key)) for c in table.columns]
        ws.append(values)
        for i, (column, value) in enumerate(zip(table.columns, values, strict=True)):
            widths[i] = max(widths[i], _shown_width(column, value))
    first, last = header_row + 1, ws.max_row
    if table.total is not None:
        values = [_xlsx_value(c, table.total.get(c.key)) for c in table.columns]
        ws.append(values)
        for i, (column, value) in enumerate(zip(table.columns, values, strict=True)):
            widths[i] = max(widths[i], _shown_width(column, value))
        for cell in ws[ws.max_row]:
            cell.font = bold
            cell.border = Border(top=thin)
    for i, column in enumerate(table.columns, start=1):
        fmt = FORMATS.get(column.kind)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=first, max_row=ws.max_row, min_col=i, max_col=i):
                cell.number_format = fmt
        heading_words = max((len(w) for w in column.heading.split()), default=4)
        width = max(min(widths[i - 1], MAX_WIDTH), heading_words, 4) + 2
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if table.rows:
        ws.auto_filter.ref = (f"A{header_row}:{get_column_letter(len(table.columns))}"
                              f"{last}")
    ws.row_dimensions[header_row].height = 32
    return _Placed(ws, header_row, first, last, {c.key: i for i, c in
                                                 enumerate(table.columns, start=1)})


def _shown_width(column: Column, value: Any) -> int:
    """Characters the value takes on screen in its number format."""
    if value is None:
        return 0
    if column.kind == DATE:
        return 10
    if column.kind == DATETIME:
        return 16
    if column.kind in NUMERIC and isinstance(value, (int, float)):
        if column.kind == PERCENT:
            return len(f"{value * 100:.1f}%")
        decimals = {INT: 0, NUM: 1, NUM2: 2}.get(column.kind, 1)
        return len(f"{value:,.{decimals}f}")
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _bar_chart(title: str, placed: _Placed, label_key: str, value_key: str,
               y_title: str) -> Any:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.legend = None
    chart.height, chart.width = 9, 24
    data = Reference(placed.ws, min_col=placed.index[value_key], max_col=placed.index[value_key],
                     min_row=placed.header_row, max_row=placed.last)
    labels = Reference(placed.ws, min_col=placed.index[label_key],
                       max_col=placed.index[label_key], min_row=placed.first, max_row=placed.last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    return chart


def to_xlsx(report: Report, path: Path) -> None:
    """Write the report as an Excel workbook (atomically)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from radiocli.report.files import write_atomically

    lang = report.lang
    wb = Workbook()
    overview = wb.active
    taken: set[str] = set()
    overview.title = sheet_name(_overview_name(report), taken)
    overview.append([safe_cell(report.title)])
    overview["A1"].font = Font(bold=True, size=14)
    if report.subject:
        overview.append([safe_cell(report.subject)])
    overview.append([safe_cell(report.headline)])
    for row in overview.iter_rows(min_row=2, max_row=overview.max_row):
        row[0].alignment = Alignment(wrap_text=False)
    overview.append([])
    overview.append([H(lang, "Chỉ tiêu", "Figure"), H(lang, "Giá trị", "Value")])
    for cell in overview[overview.max_row]:
        cell.font = Font(bold=True)
    for label, value, kind in report.figures:
        overview.append([safe_cell(label), _xlsx_value(Column("v", "", kind), value)])
        fmt = FORMATS.get(kind)
        if fmt:
            overview.cell(row=overview.max_row, column=2).number_format = fmt
    overview.column_dimensions["A"].width = max(
        [len(label) for label, _v, _k in report.figures] + [20]) + 2
    overview.column_dimensions["B"].width = 16

    placed: dict[str, _Placed] = {}
    for table in report.tables:
        ws = wb.create_sheet(sheet_name(table.title, taken))
        placed[table.key] = _write_table(ws, table, f"{report.title}: {table.title}")
    violations = report.extra.get("violations")
    if violations:
        ws = wb.create_sheet(sheet_name(H(lang, "Vi phạm quy định", "Policy violations"), taken))
        _write_table(ws, violation_table(violations, lang), report.title)
    if report.notes:
        notes = wb.create_sheet(sheet_name(H(lang, "Ghi chú", "Notes"), taken))
        notes.append([H(lang, "Những gì không được tính và lý do", "Left out, and why")])
        notes["A1"].font = Font(bold=True)
        for note in report.notes:
            notes.append([safe_cell(note)])
        notes.column_dimensions["A"].width = 120

    anchor = overview.max_row + 2
    for chart in _charts(report, placed, overview, lang):
        overview.add_chart(chart, f"A{anchor}")
        anchor += 20
    write_atomically(path, lambda tmp: wb.save(tmp))


def _overview_name(report: Report) -> str:
    lang = report.lang
    scope = report.extra.get("scope") or {}
    if report.kind == "station" or scope.get("station") or scope.get("district"):
        return H(lang, "Tổng hợp", "Summary")
    return H(lang, "Toàn thành phố", "City")


def _charts(report: Report, placed: dict[str, _Placed], overview: Any, lang: str) -> list[Any]:
    minutes = H(lang, "Số phút phát", "Minutes aired")
    charts = []
    if "districts" in placed and report.kind == "summary" and not (
            report.extra.get("scope") or {}).get("district"):
        charts.append(_bar_chart(H(lang, "Số phút phát theo quận, huyện",
                                   "Minutes aired per district"),
                                 placed["districts"], "district_name", "minutes", minutes))
    elif "stations" in placed and report.kind == "summary":
        charts.append(_bar_chart(H(lang, "Số phút phát theo xã, phường, thị trấn",
                                   "Minutes aired per commune"),
                                 placed["stations"], "name", "minutes", minutes))
    if "days" in placed:
        charts.append(_bar_chart(H(lang, "Số phút phát theo ngày", "Minutes aired per day"),
                                 placed["days"], "date", "minutes", minutes))
    if report.kind == "compliance" and report.charts.get("status"):
        table = Table("status", H(lang, "Kết quả", "Outcome"), [
            Column("status", H(lang, "Kết quả", "Outcome")),
            Column("count", H(lang, "Số buổi", "Occurrences"), INT),
        ], [{"status": k, "count": int(v)} for k, v in report.charts["status"]])
        overview.append([])
        first_row = overview.max_row + 1
        overview.append([c.heading for c in table.columns])
        for row in table.rows:
            overview.append([safe_cell(row["status"]), row["count"]])
        status = _Placed(overview, first_row, first_row + 1, overview.max_row,
                         {"status": 1, "count": 2})
        charts.append(_bar_chart(H(lang, "Kết quả thực hiện kế hoạch",
                                   "Planned occurrences by outcome"), status, "status", "count",
                                 H(lang, "Số buổi", "Occurrences")))
    return charts


def violation_table(violations: list[dict[str, Any]], lang: str) -> Table:
    rows = []
    for i, v in enumerate(violations, start=1):
        day = v.get("date")
        rows.append({**v, "stt": i,
                     "date": date.fromisoformat(day) if isinstance(day, str) and day else day})
    return Table("violations", H(lang, "Vi phạm quy định", "Policy violations"), [
        Column("stt", H(lang, "STT", "No."), INT),
        Column("station", H(lang, "Mã đài", "Station"), "code"),
        Column("station_name", H(lang, "Tên đài", "Station name")),
        Column("date", H(lang, "Ngày", "Date"), DATE),
        Column("program", H(lang, "Chương trình", "Program")),
        Column("rule", H(lang, "Quy định", "Rule"), brief=False),
        Column("message", H(lang, "Nội dung", "Message")),
        Column("occurrences", H(lang, "Buổi phát", "Occurrences"), brief=False),
    ], rows)
