"""The documents a district office files (issue 15): the Word report to sign, the Excel
annex, CSV that Excel opens in Vietnamese, and exports that carry no formula and never
break (issue 11, item 8). Each file is read back."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from radiocli.aslog import LogBook
from radiocli.cli import cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REPO = Path(__file__).resolve().parent.parent
SCHEDULES = REPO / "schedules"
COMMUNES_017 = 24

OFFICE = """\
schedules: {schedules}
report:
  parent_body: Ủy ban nhân dân huyện Đông Anh
  issuing_body: Phòng Văn hóa và Thông tin
  symbol: VHTT
  number: "125"
  place: Đông Anh
  signer: Nguyễn Văn An
  signer_title: Trưởng phòng
  recipients:
    - Sở Thông tin và Truyền thông (để báo cáo)
    - UBND huyện (để báo cáo)
"""


def invoke(home: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """District 017 (Đông Anh) simulated 2-4 August 2021, 00478 off the air on the 3rd;
    the office's settings in the home's config.yaml."""
    home = tmp_path_factory.mktemp("district")
    (home / "config.yaml").write_text(OFFICE.format(schedules=SCHEDULES), encoding="utf-8")
    invoke(home, "simulate", "--from", "2021-08-02", "--to", "2021-08-04", "--district", "017",
           "--offline", "00478:2021-08-03--2021-08-03")
    out = home / "out"
    out.mkdir()
    result = invoke(home, "report", "summary", "--from", "02/08/2021", "--to", "04/08/2021",
                    "--district", "017", "--docx", str(out / "bao-cao.docx"), "--xlsx",
                    str(out / "phu-luc.xlsx"), "--html", str(out / "bao-cao.html"), "--csv",
                    str(out / "bao-cao.csv"))
    assert "đài truyền thanh xã, phường, thị trấn đã thực hiện" in result.stdout
    return home, out


def test_summary_of_a_district_lists_each_commune(district):
    home, _out = district
    report = json.loads(invoke(home, "report", "summary", "--from", "2021-08-02", "--to",
                               "2021-08-04", "--district", "017", "--json").stdout)
    rows = report["rows"]
    assert len(rows) == COMMUNES_017
    assert [r["stt"] for r in rows] == list(range(1, COMMUNES_017 + 1))
    assert all(r["name"].startswith(("Xã ", "Thị trấn ")) for r in rows)
    uy_no = next(r for r in rows if r["code"] == "00478")
    other = next(r for r in rows if r["code"] == "00481")
    assert uy_no["sessions"] < other["sessions"] and uy_no["minutes"] < other["minutes"]
    assert sum(r["sessions"] for r in rows) == report["sessions"]
    assert report["districts"] == [pytest.approx(report["districts"][0])]
    assert report["districts"][0]["stations"] == COMMUNES_017


# --- the Word document ------------------------------------------------------------------


def _runs(paragraphs):
    return [run for p in paragraphs for run in p.runs if run.text.strip()]


def test_docx_is_an_administrative_document_to_sign(district):
    from docx import Document
    from docx.shared import Pt

    _home, out = district
    doc = Document(str(out / "bao-cao.docx"))
    section = doc.sections[0]
    def mm(length) -> float:
        return round(length.mm, 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)  # A4
    assert (mm(section.left_margin), mm(section.right_margin)) == (30, 15)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (20, 20)

    heading, *data, signature = doc.tables
    left, right = heading.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text.strip()][:2] == [
        "ỦY BAN NHÂN DÂN HUYỆN ĐÔNG ANH", "PHÒNG VĂN HÓA VÀ THÔNG TIN"]
    assert "Số: 125/BC-VHTT" in left.paragraphs[-1].text
    lines = [p.text for p in right.paragraphs if p.text.strip()]
    assert lines[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert lines[1] == "Độc lập - Tự do - Hạnh phúc"
    assert re.fullmatch(r"Đông Anh, ngày \d\d tháng (0[12]|[3-9]|1[0-2]) năm 20\d\d", lines[-1])

    texts = [p.text for p in doc.paragraphs]
    at = texts.index("BÁO CÁO")
    assert texts[at + 1].startswith("Kết quả hoạt động phát thanh của các đài truyền thanh")
    assert "Huyện Đông Anh" in texts[at + 1] and "02/08/2021" in texts[at + 1]
    body = "\n".join(texts)
    assert re.search(r"24 đài truyền thanh xã, phường, thị trấn đã thực hiện [\d.]+ buổi "
                     r"phát thanh với [\d.,]+ (triệu )?phút phát thanh", body)
    assert "phụ lục kèm theo (phu-luc.xlsx)" in body

    communes = data[0]
    assert [c.text for c in communes.rows[0].cells][:2] == ["STT", "Xã, phường, thị trấn"]
    assert len(communes.rows) == 1 + COMMUNES_017 + 1
    assert [communes.rows[i].cells[0].text for i in (1, 2, COMMUNES_017)] == ["1", "2", "24"]
    total = [c.text for c in communes.rows[-1].cells]
    assert total[1] == "Tổng cộng"
    sessions = sum(int(r.cells[2].text.replace(".", "")) for r in communes.rows[1:-1])
    assert int(total[2].replace(".", "")) == sessions

    recipients, signer = signature.rows[0].cells
    names = [p.text for p in recipients.paragraphs if p.text.strip()]
    assert names == ["Nơi nhận:", "- Sở Thông tin và Truyền thông (để báo cáo);",
                     "- UBND huyện (để báo cáo);", "- Lưu: VT."]
    said = [p.text for p in signer.paragraphs if p.text.strip()]
    assert said[0] == "TRƯỞNG PHÒNG" and said[-1] == "Nguyễn Văn An"

    # Times New Roman everywhere; 13-14 pt for the text, 12 and 11 for the recipients
    every = _runs(doc.paragraphs) + [run for t in doc.tables for row in t.rows
                                     for cell in row.cells for run in _runs(cell.paragraphs)]
    assert every and all(run.font.name == "Times New Roman" for run in every)
    assert {run.font.size for run in _runs(doc.paragraphs)} <= {Pt(13), Pt(14)}
    for table in [heading, *data]:
        sizes = {run.font.size for row in table.rows for cell in row.cells
                 for run in _runs(cell.paragraphs)}
        assert sizes <= {Pt(13), Pt(14)}, sizes
    assert recipients.paragraphs[0].runs[0].font.size == Pt(12)
    assert recipients.paragraphs[0].runs[0].font.bold and \
        recipients.paragraphs[0].runs[0].font.italic
    assert {r.font.size for p in recipients.paragraphs[1:] for r in p.runs} == {Pt(11)}
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_date_line_follows_decree_30():
    from radiocli.report.words import date_line

    assert date_line("Hà Nội", date(2021, 9, 5), "vi") == "Hà Nội, ngày 05 tháng 9 năm 2021"
    assert date_line("Hà Nội", date(2021, 2, 14), "vi") == "Hà Nội, ngày 14 tháng 02 năm 2021"
    assert date_line("Đông Anh", date(2021, 12, 31), "vi") == \
        "Đông Anh, ngày 31 tháng 12 năm 2021"


def test_docx_without_settings_leaves_blanks_and_says_where_to_set_them(district, tmp_path):
    from docx import Document

    home, _out = district
    bare = tmp_path / "home"
    bare.mkdir()
    shutil.copytree(home / "store", bare / "store")
    target = tmp_path / "r.docx"
    result = CliRunner().invoke(cli, ["--home", str(bare), "-s", str(SCHEDULES), "report",
                                      "summary", "--from", "2021-08-02", "--to", "2021-08-04",
                                      "--docx", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "report:" in result.stderr and "config.yaml" in result.stderr
    doc = Document(str(target))
    assert "Số:" in doc.tables[0].rows[0].cells[0].text
    assert "Hà Nội, ngày" in doc.tables[0].rows[0].cells[1].text


def test_bad_settings_are_a_clear_error(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("report:\n  signer_name: A\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--home", str(home), "-s", str(SCHEDULES), "report",
                                      "summary", "--from", "2021-08-02", "--to", "2021-08-02",
                                      "--docx", str(tmp_path / "x.docx")])
    assert result.exit_code == 1
    assert "signer_name" in result.stderr and "known keys" in result.stderr
    assert not (tmp_path / "x.docx").exists()


def test_report_into_a_missing_folder_is_a_clear_error(district, tmp_path):
    home, _out = district
    result = CliRunner().invoke(cli, ["--home", str(home), "report", "summary", "--from",
                                      "2021-08-02", "--to", "2021-08-02", "--xlsx",
                                      str(tmp_path / "nope" / "x.xlsx")])
    assert result.exit_code == 1
    assert "cannot write the report" in result.stderr and "Traceback" not in result.output


# --- the Excel annex ----------------------------------------------------------------------


def test_xlsx_annex_is_excel_grade(district):
    from openpyxl import load_workbook

    _home, out = district
    wb = load_workbook(out / "phu-luc.xlsx")
    assert wb.sheetnames[:4] == ["Tổng hợp", "Xã, phường, thị trấn", "Quận, huyện",
                                 "Theo ngày"]
    ws = wb["Xã, phường, thị trấn"]
    header = [c.value for c in ws[3]]
    assert header[:3] == ["STT", "Mã đài", "Xã, phường, thị trấn"]
    col = {name: i for i, name in enumerate(header)}
    data = list(ws.iter_rows(min_row=4, max_row=3 + COMMUNES_017))
    assert [r[0].value for r in data] == list(range(1, COMMUNES_017 + 1))
    assert all(r[col["Mã đài"]].data_type == "s" and len(r[col["Mã đài"]].value) == 5
               for r in data)  # codes keep their leading zeros
    for r in data:
        sessions, minutes = r[col["Số buổi phát"]], r[col["Số phút phát"]]
        assert isinstance(sessions.value, int) and sessions.number_format == "#,##0"
        assert isinstance(minutes.value, (int, float)) and minutes.number_format == "#,##0.0"
        assert r[col["Buổi/ngày"]].number_format == "#,##0.00"
    total = ws[4 + COMMUNES_017]
    assert total[col["Xã, phường, thị trấn"]].value == "Tổng cộng"
    assert total[col["Số buổi phát"]].value == sum(r[col["Số buổi phát"]].value for r in data)
    assert total[col["Số buổi phát"]].font.bold
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == f"A3:I{3 + COMMUNES_017}"
    widths = {k: ws.column_dimensions[k].width for k in "ABCDEFGHI"}
    assert widths["C"] >= len("Thị trấn Đông Anh") and all(w >= 6 for w in widths.values())

    days = wb["Theo ngày"]
    dates = [days.cell(row=r, column=2) for r in range(4, 7)]
    assert [c.value for c in dates] == [datetime(2021, 8, d) for d in (2, 3, 4)]
    assert all(c.is_date and c.number_format == "dd/mm/yyyy" for c in dates)

    overview = wb["Tổng hợp"]
    figures = {row[0].value: row[1] for row in overview.iter_rows(min_row=1, max_col=2)
               if row[0].value}
    assert figures["Số buổi phát"].value == total[col["Số buổi phát"]].value
    assert figures["Số phút phát"].number_format == "#,##0.0"

    # native charts: minutes per commune and per day, reading the sheets' cells
    with zipfile.ZipFile(out / "phu-luc.xlsx") as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        xml = [z.read(n).decode("utf-8") for n in charts]
    assert all("barChart>" in x for x in xml)
    assert "'Xã, phường, thị trấn'!$E$4:$E$27" in xml[0]
    assert "'Theo ngày'!$B$4:$B$6" in xml[1]


def test_city_summary_has_one_sheet_per_level_and_a_chart_per_district(district, tmp_path):
    from openpyxl import load_workbook

    home, _out = district
    invoke(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
           "--xlsx", str(tmp_path / "city.xlsx"))
    wb = load_workbook(tmp_path / "city.xlsx")
    assert wb.sheetnames[:4] == ["Toàn thành phố", "Quận, huyện", "Xã, phường, thị trấn",
                                 "Theo ngày"]
    assert wb["Quận, huyện"].max_row == 3 + 30 + 1
    assert wb["Xã, phường, thị trấn"].max_row == 3 + 579 + 1
    with zipfile.ZipFile(tmp_path / "city.xlsx") as z:
        first = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "'Quận, huyện'!$G$4:$G$33" in first


# --- CSV -----------------------------------------------------------------------------------


def test_csv_file_starts_with_a_bom_and_stdout_stays_plain(district):
    home, out = district
    raw = (out / "bao-cao.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["STT", "Mã đài", "Xã, phường, thị trấn", "Số buổi phát"]
    assert len(rows) == 1 + COMMUNES_017
    printed = invoke(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
                     "--district", "017", "--csv").stdout
    assert not printed.startswith("\ufeff") and printed.startswith("STT,")
    assert list(csv.reader(io.StringIO(printed))) == rows


EVIL_REASON = "x\r=2+3+cmd|' /C calc'!A0\x07\n@SUM(1)"
STORED_REASON = "offline: x =2+3+cmd|' /C calc'!A0\ufffd @SUM(1)"


@pytest.fixture
def evil_home(tmp_path):
    book = LogBook(tmp_path / "logs", durable=False)
    day = date(2021, 8, 2)
    at = datetime(2021, 8, 2, 11, 0, tzinfo=TZ)
    occ = "ban-tin-covid-thanh-pho@2021-08-02T11:00"
    book.event("00001", "missed", at, at, "ban-tin-covid-thanh-pho", occ, "normal",
               "offline: " + EVIL_REASON)
    book.seal_before(day + timedelta(days=1))
    book.close()
    return tmp_path


def test_a_line_break_in_a_reason_never_starts_a_row_or_a_formula(evil_home, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "c.csv"
    invoke(evil_home, "-s", str(SCHEDULES), "report", "compliance", "--from", "2021-08-02",
           "--to", "2021-08-02", "--station", "00001", "--csv", str(target), "--xlsx",
           str(tmp_path / "c.xlsx"))
    raw = target.read_bytes().decode("utf-8-sig")
    # no physical line of the file starts a formula, whatever splits it
    assert not [line for line in re.split(r"\r\n|\r|\n", raw) if line.startswith(("=", "+", "-", "@"))]
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    reasons = [r for row in rows for r in row if "cmd|" in r]
    # the store keeps the raw bytes but gives reports a reason without control
    # characters (line breaks become spaces); cells.safe_cell covers what else reaches a
    # cell with a line break (test_cells_neutralise_formulas_after_every_line_break)
    assert reasons == [STORED_REASON]
    assert all(len(row) == len(rows[0]) for row in rows)
    # stdout too (RFC 4180 quoting), and the other commands' --csv (cli/output.py)
    printed = invoke(evil_home, "-s", str(SCHEDULES), "report", "compliance", "--from",
                     "2021-08-02", "--to", "2021-08-02", "--station", "00001", "--csv").stdout
    assert list(csv.reader(io.StringIO(printed, newline=""))) == rows
    # XLSX: the control character is shown, not fatal; no cell is a formula
    wb = load_workbook(tmp_path / "c.xlsx")
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row
              if isinstance(c.value, str)]
    assert STORED_REASON in values
    assert not [v for v in values if v.startswith(("=", "+", "-", "@"))]


def test_cells_neutralise_formulas_after_every_line_break():
    from radiocli.report.cells import safe_cell

    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("a\n-2\r\n+3\r@4") == "a\n'-2\r\n'+3\r'@4"
    assert safe_cell("bell\x07 nul\x00 del\x7f") == "bell␇ nul␀ del␡"
    assert safe_cell("tab\tinside") == "tab\tinside"
    assert safe_cell(12.5) == 12.5
