"""A report as the Word document an office signs and files (python-docx).

The layout follows Decree 30/2020/NĐ-CP on administrative documents: A4, margins
20-25 mm top and bottom, 30-35 mm left, 15-20 mm right; Times New Roman; the issuing
body on the left and the national motto on the right; the number and symbol; place and
date; the document type and its summary; the body; recipients ("Nơi nhận") and the
signature block. Who issues and signs comes from :class:`OfficeSettings`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from radiocli.report.model import Report, Table
from radiocli.report.numbers import fmt_num, shown
from radiocli.report.settings import DOTS, OfficeSettings
from radiocli.report.spreadsheet import violation_table
from radiocli.report.words import H, date_line

FONT = "Times New Roman"
BODY_PT = 14  # body text (Decree 30: 13-14)
TABLE_PT = 13
MAX_DOCUMENT_ROWS = 300  # per table; the annex has every row
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _font(run: Any, size: float, bold: bool = False, italic: bool = False) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    return run


def _paragraph(container: Any, text: str, size: float = BODY_PT, bold: bool = False,
               italic: bool = False, align: str = "justify", indent: bool = False,
               after: float = 6) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    if indent:
        fmt.first_line_indent = Cm(1)
    if text:
        _font(p.add_run(text), size, bold, italic)
    return p


def _cell_paragraph(cell: Any, text: str, size: float, bold: bool = False,
                    italic: bool = False, align: str = "center", after: float = 0) -> Any:
    """A paragraph in a table cell (the cell's first, empty one is used first)."""
    first = cell.paragraphs[0]
    if not first.runs and not first.text:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        first.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT,
                           "right": WD_ALIGN_PARAGRAPH.RIGHT,
                           "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
        first.paragraph_format.space_after = Pt(after)
        first.paragraph_format.space_before = Pt(0)
        if text:
            _font(first.add_run(text), size, bold, italic)
        return first
    return _paragraph(cell, text, size, bold, italic, align, after=after)


def _no_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    props.append(borders)


def _widths(table: Any, widths_mm: list[float]) -> None:
    from docx.shared import Mm

    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(width)


def _heading_block(doc: Any, settings: OfficeSettings, today: date, lang: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [68, 97])
    left, right = table.rows[0].cells
    if settings.parent_body:
        _cell_paragraph(left, settings.parent_body.upper(), 13)
    _cell_paragraph(left, (settings.issuing_body or DOTS).upper(), 13, bold=True)
    _cell_paragraph(left, "―――――", 13, after=4)
    _cell_paragraph(left, settings.number_line(), 13)
    _cell_paragraph(right, NATION, 13, bold=True)
    _cell_paragraph(right, MOTTO, 14, bold=True)
    _cell_paragraph(right, "―――――――――――", 13, after=4)
    _cell_paragraph(right, date_line(settings.place, today, lang), 14, italic=True)


def _data_table(doc: Any, table: Table, lang: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    columns = table.brief()
    rows = table.rows[:MAX_DOCUMENT_ROWS]
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = grid.rows[0]
    for cell, column in zip(header.cells, columns, strict=True):
        _cell_paragraph(cell, column.heading, TABLE_PT, bold=True)
    mark = OxmlElement("w:tblHeader")  # the header row repeats on every page
    mark.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(mark)
    current: Any = object()
    for row in rows:
        if table.group and row.get(table.group) != current:
            current = row.get(table.group)
            cells = grid.add_row().cells
            merged = cells[0].merge(cells[-1])
            _cell_paragraph(merged, f"{current} {row.get(f'{table.group}_name', '')}".strip(),
                            TABLE_PT, bold=True, align="left")
        _table_row(grid, columns, row, lang, bold=False)
    if table.total is not None:
        _table_row(grid, columns, table.total, lang, bold=True)
    if len(table.rows) > len(rows):
        _paragraph(doc, H(lang, f"(Còn {fmt_num(len(table.rows) - len(rows), lang)} dòng nữa "
                          "trong phụ lục.)",
                          f"({len(table.rows) - len(rows):,} more rows in the annex.)"),
                   TABLE_PT, italic=True, align="left")


def _table_row(grid: Any, columns: list[Any], row: dict[str, Any], lang: str,
               bold: bool) -> None:
    cells = grid.add_row().cells
    for cell, column in zip(cells, columns, strict=True):
        value = row.get(column.key)
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        _cell_paragraph(cell, shown(column.kind, value, lang), TABLE_PT, bold=bold,
                        align="right" if numeric and column.kind != "code" else "left")


def _signature_block(doc: Any, settings: OfficeSettings, lang: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [80, 85])
    left, right = table.rows[0].cells
    _cell_paragraph(left, H(lang, "Nơi nhận:", "Recipients:"), 12, bold=True, italic=True,
                    align="left")
    recipients = list(settings.recipients) or [DOTS]
    if not any(r.lower().startswith(("lưu", "archive")) for r in recipients):
        recipients.append(H(lang, "Lưu: VT", "Archive"))
    for i, name in enumerate(recipients):
        end = "." if i == len(recipients) - 1 else ";"
        _cell_paragraph(left, f"- {name.rstrip(';.')}{end}", 11, align="left")
    if settings.authority:
        _cell_paragraph(right, settings.authority.upper(), 14, bold=True)
    _cell_paragraph(right, (settings.signer_title or DOTS).upper(), 14, bold=True)
    _cell_paragraph(right, H(lang, "(Ký, ghi rõ họ tên, đóng dấu)", "(Signature and seal)"), 14,
                    italic=True, after=60)
    _cell_paragraph(right, settings.signer or DOTS, 14, bold=True)


def to_docx(report: Report, path: Path, settings: OfficeSettings, today: date,
            annex: str = "") -> None:
    """Write the report as an A4 Word document to sign (atomically)."""
    import io

    from docx import Document

    from radiocli.report.mapping import to_png

    map_png = to_png(report)
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    from radiocli.report.files import write_atomically

    lang = report.lang
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    doc.core_properties.title = report.title
    doc.core_properties.author = settings.issuing_body or "radiocli"
    doc.core_properties.language = lang

    _heading_block(doc, settings, today, lang)
    _paragraph(doc, "", after=6)
    _paragraph(doc, H(lang, "BÁO CÁO", "REPORT"), BODY_PT, bold=True, align="center", after=0)
    _paragraph(doc, report.subject or report.title, BODY_PT, bold=True, align="center",
               after=0)
    _paragraph(doc, "―――――", BODY_PT, align="center", after=12)

    issuer = settings.issuing_body or H(lang, "Cơ quan", "The office")
    _paragraph(doc, H(lang, f"{issuer} báo cáo {_lower_first(report.subject or report.title)}"
                      " như sau:",
                      f"{issuer} reports on {_lower_first(report.subject or report.title)}:"),
               indent=True)
    number = iter(("I", "II", "III", "IV", "V", "VI", "VII", "VIII"))
    _paragraph(doc, f"{next(number)}. " + H(lang, "KẾT QUẢ CHUNG", "OVERALL RESULT"),
               bold=True, align="left")
    _paragraph(doc, report.headline, indent=True)
    for label, value, kind in report.figures:
        _paragraph(doc, f"- {label}: {shown(kind, value, lang)}.", indent=True, after=2)
    if map_png:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(map_png), width=Mm(150))
        _paragraph(doc, report.map_caption, 13, italic=True, align="center")
    for table in report.tables:
        if not table.document or not table.rows:
            continue
        _paragraph(doc, f"{next(number)}. {table.title.upper()}", bold=True, align="left")
        _data_table(doc, table, lang)
        _paragraph(doc, "", after=6)
    violations = report.extra.get("violations") or []
    if violations:
        vt = violation_table(violations, lang)
        _paragraph(doc, f"{next(number)}. {vt.title.upper()} ({fmt_num(len(violations), lang)})",
                   bold=True, align="left")
        _data_table(doc, vt, lang)
    if report.notes:
        _paragraph(doc, f"{next(number)}. " + H(lang, "NHỮNG NỘI DUNG CHƯA ĐƯỢC TÍNH",
                                                 "LEFT OUT, AND WHY"), bold=True, align="left")
        for note in report.notes:
            _paragraph(doc, f"- {note}", indent=True, after=2)
    if annex:
        _paragraph(doc, H(lang, f"Số liệu chi tiết tại phụ lục kèm theo ({annex}).",
                          f"Details in the attached annex ({annex})."), indent=True)
    _paragraph(doc, H(lang, f"Trên đây là báo cáo của {issuer}./.", "End of report."),
               indent=True, after=12)
    _signature_block(doc, settings, lang)
    write_atomically(path, lambda tmp: doc.save(str(tmp)))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
