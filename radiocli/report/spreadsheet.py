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


class _Styles:
    """The few cell styles a workbook uses, made once (named styles are shared)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

        thin = Side(style="thin", color="999999")
        self.title = NamedStyle("radiocli title", font=Font(bold=True, size=13))
        self.header = NamedStyle(
            "radiocli header", font=Font(bold=True), fill=PatternFill("solid", fgColor="DDE6F0"),
            alignment=Alignment(wrap_text=True, vertical="center", horizontal="center"),
            border=Border(bottom=thin))
        self.bold = Font(bold=True)
        self.top = Border(top=thin)
        self.formats = {kind: NamedStyle(f"radiocli {kind}", number_format=fmt)
                        for kind, fmt in FORMATS.items()}
        self.totals = {kind: NamedStyle(f"radiocli total {kind}", number_format=fmt,
                                        font=Font(bold=True), border=Border(top=thin))
                       for kind, fmt in [*FORMATS.items(), ("text", "General")]}


def _write_table(ws: Any, table: Table, title: str, styles: _Styles) -> _Placed:
    """Write a titled table on a write-only sheet: title, header (row 3), rows, total."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    columns = table.columns
    rows = [[_xlsx_value(c, row.get(c.key)) for c in columns] for row in table.rows]
    total = [_xlsx_value(c, table.total.get(c.key)) for c in columns] \
        if table.total is not None else None
    for i, column in enumerate(columns, start=1):
        shown = max((_shown_width(column, r[i - 1]) for r in rows[:5000]), default=0)
        if total is not None:
            shown = max(shown, _shown_width(column, total[i - 1]))
        words = max((len(w) for w in column.heading.split()), default=4)
        ws.column_dimensions[get_column_letter(i)].width = \
            max(min(max(shown, len(column.heading) // 2), MAX_WIDTH), words, 4) + 2
    header_row, first, last = 3, 4, 3 + len(rows)
    ws.freeze_panes = f"A{first}"
    if rows:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last}"
    ws.row_dimensions[header_row].height = 32

    def cell(value: Any, style: Any) -> Any:
        made = WriteOnlyCell(ws, value)
        made.style = style
        return made

    def number(value: Any, fmt: str) -> Any:
        made = WriteOnlyCell(ws, value)
        made.number_format = fmt
        return made

    ws.append([cell(safe_cell(title), styles.title)])
    ws.append([])
    ws.append([cell(c.heading, styles.header) for c in columns])
    formats = [FORMATS.get(c.kind) for c in columns]
    plain = all(f is None for f in formats)
    for values in rows:
        if plain:
            ws.append(values)
        else:
            ws.append([v if f is None or v is None else number(v, f)
                       for v, f in zip(values, formats, strict=True)])
    if total is not None:
        ws.append([cell(v, styles.totals.get(c.kind, styles.totals["text"]))
                   for v, c in zip(total, columns, strict=True)])
    return _Placed(ws, header_row, first, last, {c.key: i for i, c in
                                                 enumerate(columns, start=1)})


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
    from radiocli.report.files import write_atomically

    write_atomically(path, lambda tmp: _workbook(report, tmp))


def _workbook(report: Report, target: Path) -> None:
    """Build and save the workbook, in write-only mode (the city's compliance annex has
    170,000 rows): its sheets stream to ``target`` as they are saved."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    lang = report.lang
    styles = _Styles()
    wb = Workbook(write_only=True)
    for style in (styles.title, styles.header, *styles.formats.values(),
                  *styles.totals.values()):
        wb.add_named_style(style)
    taken: set[str] = set()
    overview = wb.create_sheet(sheet_name(_overview_name(report), taken))

    def cell(value: Any, font: Any = None, style: Any = None) -> Any:
        made = WriteOnlyCell(overview, value)
        if style is not None:
            made.style = style
        if font is not None:
            made.font = font
        return made

    overview.column_dimensions["A"].width = max(
        [len(label) for label, _v, _k in report.figures] + [24]) + 2
    overview.column_dimensions["B"].width = 16
    lines: list[list[Any]] = [[cell(safe_cell(report.title), Font(bold=True, size=14))]]
    if report.subject:
        lines.append([safe_cell(report.subject)])
    lines.append([safe_cell(report.headline)])
    lines.append([])
    lines.append([cell(H(lang, "Chỉ tiêu", "Figure"), styles.bold),
                  cell(H(lang, "Giá trị", "Value"), styles.bold)])
    for label, value, kind in report.figures:
        shown = _xlsx_value(Column("v", "", kind), value)
        style = styles.formats.get(kind)
        lines.append([safe_cell(label), cell(shown, style=style) if style else shown])
    status = report.charts.get("status") if report.kind == "compliance" else None
    status_at = None
    if status:
        lines.append([])
        status_at = len(lines) + 1
        lines.append([cell(H(lang, "Kết quả", "Outcome"), styles.bold),
                      cell(H(lang, "Số buổi", "Occurrences"), styles.bold)])
        lines += [[safe_cell(label), int(count)] for label, count in status]

    placed: dict[str, _Placed] = {}
    for table in report.tables:
        ws = wb.create_sheet(sheet_name(table.title, taken))
        placed[table.key] = _write_table(ws, table, f"{report.title}: {table.title}", styles)
    violations = report.extra.get("violations")
    if violations:
        ws = wb.create_sheet(sheet_name(H(lang, "Vi phạm quy định", "Policy violations"), taken))
        _write_table(ws, violation_table(violations, lang), report.title, styles)
    if report.notes:
        notes = wb.create_sheet(sheet_name(H(lang, "Ghi chú", "Notes"), taken))
        notes.column_dimensions["A"].width = 120
        notes.append([WriteOnlyCell(notes, H(lang, "Những gì không được tính và lý do",
                                             "Left out, and why"))])
        for note in report.notes:
            notes.append([safe_cell(note)])

    if status_at is not None and status:
        placed["status"] = _Placed(overview, status_at, status_at + 1,
                                   status_at + len(status), {"status": 1, "count": 2})
    anchor = len(lines) + 2
    for chart in _charts(report, placed, lang):
        overview.add_chart(chart, f"A{anchor}")
        anchor += 20
    for line in lines:
        overview.append(line)
    wb.save(target)


def _overview_name(report: Report) -> str:
    lang = report.lang
    scope = report.extra.get("scope") or {}
    if report.kind == "station" or scope.get("station") or scope.get("district"):
        return H(lang, "Tổng hợp", "Summary")
    return H(lang, "Toàn thành phố", "City")


def _charts(report: Report, placed: dict[str, _Placed], lang: str) -> list[Any]:
    minutes = H(lang, "Số phút phát", "Minutes aired")
    charts = []
    scope = report.extra.get("scope") or {}
    if report.kind == "summary" and "districts" in placed and not scope.get("district") \
            and not scope.get("station"):
        charts.append(_bar_chart(H(lang, "Số phút phát theo quận, huyện",
                                   "Minutes aired per district"),
                                 placed["districts"], "district_name", "minutes", minutes))
    elif report.kind == "summary" and "communes" in placed:
        charts.append(_bar_chart(H(lang, "Số phút phát theo xã, phường, thị trấn",
                                   "Minutes aired per commune"),
                                 placed["communes"], "name", "minutes", minutes))
    if "days" in placed:
        charts.append(_bar_chart(H(lang, "Số phút phát theo ngày", "Minutes aired per day"),
                                 placed["days"], "date", "minutes", minutes))
    if "status" in placed:
        charts.append(_bar_chart(H(lang, "Kết quả thực hiện kế hoạch",
                                   "Planned occurrences by outcome"), placed["status"],
                                 "status", "count", H(lang, "Số buổi", "Occurrences")))
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
