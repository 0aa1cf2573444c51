"""Tests of the Vietnamese text normalizer (radiocli.render.normalize)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiocli.render.normalize import (
    BUILTIN_ABBREVIATIONS,
    find_unspeakable,
    normalize,
    normalize_lines,
    read_digits,
    read_number,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "normalize"


def said(text: str, **kwargs: object) -> str:
    """The normalized text without punctuation, as the scorer compares it."""
    out = normalize(text, **kwargs)  # type: ignore[arg-type]
    return " ".join(re.sub(r"[\W_]+", " ", out).split())


def check(pairs: list[tuple[str, str]]) -> None:
    for written, spoken in pairs:
        assert said(written) == spoken, written


# --- numbers -------------------------------------------------------------------------


def test_read_number_northern_conventions() -> None:
    assert read_number(0) == "không"
    assert read_number(4) == "bốn"
    assert read_number(14) == "mười bốn"
    assert read_number(15) == "mười lăm"
    assert read_number(21) == "hai mươi mốt"
    assert read_number(44) == "bốn mươi tư"
    assert read_number(55) == "năm mươi lăm"
    assert read_number(105) == "một trăm linh năm"
    assert read_number(110) == "một trăm mười"
    assert read_number(2050) == "hai nghìn không trăm năm mươi"
    assert read_number(3000005) == "ba triệu không trăm linh năm"
    assert read_number(1_001_000) == "một triệu không trăm linh một nghìn"
    assert read_number(2_000_000_000) == "hai tỷ"
    assert read_number(-7) == "âm bảy"


def test_read_digits() -> None:
    assert read_digits("0912.345") == "không chín một hai ba bốn năm"
    assert read_digits("+84") == "cộng tám bốn"


def test_integers_and_decimals_held_out() -> None:
    check([
        ("Huyện có 1.250 hộ nghèo.", "huyện có một nghìn hai trăm năm mươi hộ nghèo"),
        ("Vốn 1.234.567.890 đồng.",
         "vốn một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng"),
        ("Có 4.005 người, 70.024 lượt.",
         "có bốn nghìn không trăm linh năm người bảy mươi nghìn không trăm hai mươi tư lượt"),
        ("Đạt 0,05 điểm và 7,25 triệu.", "đạt không phẩy không năm điểm và bảy phẩy hai mươi lăm triệu"),
        ("Dự án 2.500 tỷ đồng.", "dự án hai nghìn năm trăm tỷ đồng"),
    ])


def test_percentages_and_ranges() -> None:
    check([
        ("Tỷ lệ đạt 92,5%.", "tỷ lệ đạt chín mươi hai phẩy năm phần trăm"),
        ("Tăng 7-8% so với cùng kỳ.", "tăng bảy đến tám phần trăm so với cùng kỳ"),
        ("Giai đoạn 2021 - 2025.",
         "giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm"),
        ("Chiếm 1/3 diện tích.", "chiếm một phần ba diện tích"),
        ("Giảm 3/4 số ca.", "giảm ba phần tư số ca"),
    ])


# --- dates and times -----------------------------------------------------------------


def test_dates_held_out() -> None:
    check([
        ("Sáng 3/2, đoàn đến thăm.", "sáng ngày ba tháng hai đoàn đến thăm"),
        ("Kỷ niệm ngày Quốc khánh 2/9.", "kỷ niệm ngày quốc khánh hai tháng chín"),
        ("Hỗ trợ 2 triệu đồng/người/tháng.", "hỗ trợ hai triệu đồng trên người trên tháng"),
        ("Ngày 2/9/1945 lịch sử.", "ngày hai tháng chín năm một nghìn chín trăm bốn mươi lăm lịch sử"),
        ("Trong tháng 4/2022.", "trong tháng tư năm hai nghìn không trăm hai mươi hai"),
        ("Hết tháng 11.", "hết tháng mười một"),
        ("Từ 1/6/2023 đến 31/12/2023.",
         "từ ngày một tháng sáu năm hai nghìn không trăm hai mươi ba đến ngày ba mươi mốt "
         "tháng mười hai năm hai nghìn không trăm hai mươi ba"),
        ("Từ ngày 10-15/3 tạm dừng.", "từ ngày mười đến ngày mười lăm tháng ba tạm dừng"),
        ("Từ 20/11 - 5/12.", "từ ngày hai mươi tháng mười một đến ngày năm tháng mười hai"),
        ("Hạn chót 30-6-2024.", "hạn chót ngày ba mươi tháng sáu năm hai nghìn không trăm hai mươi tư"),
    ])


def test_times_held_out() -> None:
    check([
        ("Trực từ 6h30 đến 17h.", "trực từ sáu giờ ba mươi phút đến mười bảy giờ"),
        ("Phát lúc 06:00 và 18:45.", "phát lúc sáu giờ và mười tám giờ bốn mươi lăm phút"),
        ("Bắt đầu 19h15'.", "bắt đầu mười chín giờ mười lăm phút"),
        ("Từ 0h ngày 31/12.", "từ không giờ ngày ba mươi mốt tháng mười hai"),
        ("Lúc 9 giờ sáng.", "lúc chín giờ sáng"),
        ("Khai mạc 7h00.", "khai mạc bảy giờ"),
    ])


# --- phones --------------------------------------------------------------------------


def test_phone_numbers_digit_by_digit() -> None:
    check([
        ("Gọi 115 khi cần.", "gọi một một năm khi cần"),
        ("Hotline: 0988 123 456.", "hót lai không chín tám tám một hai ba bốn năm sáu"),
        ("SĐT 0243.8256.789", "số điện thoại không hai bốn ba tám hai năm sáu bảy tám chín"),
        ("Đường dây nóng 1900 1234 hoặc 113.",
         "đường dây nóng một chín không không một hai ba bốn hoặc một một ba"),
        ("Anh Nam, 0987654321, báo tin.", "anh nam không chín tám bảy sáu năm bốn ba hai một báo tin"),
        ("Xã kêu gọi 200 hộ tham gia.", "xã kêu gọi hai trăm hộ tham gia"),
    ])


@pytest.mark.parametrize("written, spoken", [
    # a word between the call and the number (issue 9 item 9)
    ("Khi có cháy, gọi ngay 114.", "khi có cháy gọi ngay một một bốn"),
    ("Liên hệ ngay 113.", "liên hệ ngay một một ba"),
    ("Hãy gọi ngay số 115.", "hãy gọi ngay số một một năm"),
    ("Gọi đến số 1022 để được hỗ trợ.", "gọi đến số một không hai hai để được hỗ trợ"),
    ("Gọi về tổng đài 1022.", "gọi về tổng đài một không hai hai"),
    ("Gọi tới số 113 hoặc 114.", "gọi tới số một một ba hoặc một một bốn"),
    ("Quay số 115.", "quay số một một năm"),
    ("Bấm số 112 khi gặp nạn.", "bấm số một một hai khi gặp nạn"),
    ("Nhắn tin đến 1022.", "nhắn tin đến một không hai hai"),
    ("Liên hệ qua số 1080.", "liên hệ qua số một không tám không"),
    ("Gọi ngay lập tức cho 115.", "gọi ngay lập tức cho một một năm"),
    ("Gọi điện đến đường dây nóng 1900.9095.",
     "gọi điện đến đường dây nóng một chín không không chín không chín năm"),
    # farther away, in the same call to action
    ("Khi phát hiện cháy, bà con gọi ngay cho lực lượng Cảnh sát PCCC theo số 114.",
     "khi phát hiện cháy bà con gọi ngay cho lực lượng cảnh sát phòng cháy chữa cháy theo số "
     "một một bốn"),
    ("Số điện thoại khẩn cấp: Công an 113, Cứu hỏa 114, Cấp cứu 115.",
     "số điện thoại khẩn cấp công an một một ba cứu hỏa một một bốn cấp cứu một một năm"),
    ("Trung tâm Cấp cứu 115 Hà Nội đã có mặt.",
     "trung tâm cấp cứu một một năm hà nội đã có mặt"),
    ("Đường dây nóng của huyện 1800 1234.",
     "đường dây nóng của huyện một tám không không một hai ba bốn"),
    # quantities, documents and places stay numbers, even near a call word
    ("Xã đã liên hệ 115 hộ gia đình.", "xã đã liên hệ một trăm mười lăm hộ gia đình"),
    ("Tổ công tác gọi 113 lần.", "tổ công tác gọi một trăm mười ba lần"),
    ("Có 115 hộ chưa tiêm.", "có một trăm mười lăm hộ chưa tiêm"),
    ("Tổng đài đã nhận 1022 cuộc gọi.", "tổng đài đã nhận một nghìn không trăm hai mươi hai cuộc gọi"),
    ("Liên hệ theo Công văn số 1022.", "liên hệ theo công văn số một nghìn không trăm hai mươi hai"),
    ("Liên hệ nhà số 115 phố Huế.", "liên hệ nhà số một trăm mười lăm phố huế"),
    ("Quyết định số 115 của huyện.", "quyết định số một trăm mười lăm của huyện"),
    ("Xã kêu gọi 115 hộ và gọi ngay 113.",
     "xã kêu gọi một trăm mười lăm hộ và gọi ngay một một ba"),
    ("Đã gọi 115, có 113 người.", "đã gọi một một năm có một trăm mười ba người"),
])
def test_service_numbers_in_a_call_to_action(written: str, spoken: str) -> None:
    assert said(written) == spoken


# --- ordinals, weekdays, Roman numerals, document codes ------------------------------


def test_ordinals_and_weekdays() -> None:
    check([
        ("Họp vào thứ 4 và thứ 7.", "họp vào thứ tư và thứ bảy"),
        ("Đại hội lần thứ 1.", "đại hội lần thứ nhất"),
        ("Kỳ họp thứ 5.", "kỳ họp thứ năm"),
        ("Đạt giải 1, giải 2 và giải 4.", "đạt giải nhất giải nhì và giải tư"),
    ])


def test_roman_numerals_in_context() -> None:
    check([
        ("Quý I/2023.", "quý một năm hai nghìn không trăm hai mươi ba"),
        ("Thế kỷ XXI.", "thế kỷ hai mươi mốt"),
        ("Đại hội XIII của Đảng.", "đại hội mười ba của đảng"),
        ("Lần thứ IV.", "lần thứ tư"),
        ("Khoá XIX.", "khoá mười chín"),
    ])


def test_document_codes_drop_suffix() -> None:
    check([
        ("Công văn số 1234/UBND-VP.", "công văn số một nghìn hai trăm ba mươi tư"),
        ("Kế hoạch số 45/KH-BCĐ.", "kế hoạch số bốn mươi lăm"),
        ("Nghị định 100/2019/NĐ-CP.", "nghị định một trăm năm hai nghìn không trăm mười chín"),
    ])


# --- units, currency, addresses ------------------------------------------------------


def test_units_and_currency() -> None:
    check([
        ("Nhiệt độ -2°C.", "nhiệt độ âm hai độ xê"),
        ("Gió 60 km/h, mưa 100-200mm.",
         "gió sáu mươi ki lô mét trên giờ mưa một trăm đến hai trăm mi li mét"),
        ("Đạt 5,5 tấn/ha.", "đạt năm phẩy năm tấn trên héc ta"),
        ("Mật độ 2.500 người/km2.", "mật độ hai nghìn năm trăm người trên ki lô mét vuông"),
        ("Dài 12 km, rộng 30 m, nặng 40 kg.",
         "dài mười hai ki lô mét rộng ba mươi mét nặng bốn mươi ki lô gam"),
        ("Diện tích 80 m².", "diện tích tám mươi mét vuông"),
        ("Giá 25.000đ.", "giá hai mươi lăm nghìn đồng"),
        ("Hỗ trợ 500 USD.", "hỗ trợ năm trăm đô la mỹ"),
        ("Nộp 200.000 VND/người.", "nộp hai trăm nghìn việt nam đồng trên người"),
    ])


def test_addresses_house_numbers() -> None:
    check([
        ("Nhà số 25/3A ngõ 102/15.", "nhà số hai mươi lăm trên ba a ngõ một trăm linh hai trên mười lăm"),
        ("Ngách 12/34 ngõ 56.", "ngách mười hai trên ba mươi tư ngõ năm mươi sáu"),
        ("Số 1 Tràng Tiền, Q. Hoàn Kiếm, TP. Hà Nội.",
         "số một tràng tiền quận hoàn kiếm thành phố hà nội"),
        ("Tại P.5, Q.3.", "tại phường năm quận ba"),
    ])


# --- abbreviations, loanwords, URLs ----------------------------------------------------


def test_abbreviations_builtin() -> None:
    check([
        ("HTX, MTTQ, CSGT và CAND.", "hợp tác xã mặt trận tổ quốc cảnh sát giao thông và công an nhân dân"),
        ("Sở GD&ĐT, Sở NN&PTNT.", "sở giáo dục và đào tạo sở nông nghiệp và phát triển nông thôn"),
        ("Tại TP.HCM.", "tại thành phố hồ chí minh"),
        ("Đ/c Chủ tịch.", "đồng chí chủ tịch"),
        ("Trường THPT Kim Liên.", "trường trung học phổ thông kim liên"),
    ])
    assert BUILTIN_ABBREVIATIONS["UBND"] == "ủy ban nhân dân"


def test_abbreviations_extended_by_a_station() -> None:
    extra = {"HTXDV": "hợp tác xã dịch vụ", "UBND": "ủy ban", "nvh": "nhà văn hóa"}
    assert said("HTXDV và UBND", abbreviations=extra) == "hợp tác xã dịch vụ và ủy ban"
    assert said("Họp tại NVH thôn", abbreviations=extra) == "họp tại nhà văn hóa thôn"
    assert said("HTXDV") == "hát tê ích đê vê"  # not in the built-in table: spelled


def test_unknown_acronyms_spelled() -> None:
    check([
        ("Xét nghiệm RT-PCR.", "xét nghiệm e rờ tê pê xê e rờ"),
        ("Khu B, lô C5.", "khu bê lô xê năm"),
        ("Cúm H5N1.", "cúm hát năm en một"),
    ])


def test_loanwords() -> None:
    check([
        ("Tiêm vắc-xin Covid 19 cho F0.", "tiêm vắc xin cô vít mười chín cho ép không"),
        ("Cài Zalo, xem YouTube và website.", "cài da lô xem diu túp và oép sai"),
        ("Họp online qua Internet.", "họp on lai qua in tơ nét"),
        ("Biến chủng Omicron.", "biến chủng ô mi cờ rôn"),
    ])


def test_urls_and_email() -> None:
    check([
        ("Xem http://www.hanoi.gov.vn", "xem vê kép vê kép vê kép chấm hà nội chấm gốp chấm vê en"),
        ("Gửi ubnd@hanoi.gov.vn.", "gửi u bê en đê a còng hà nội chấm gốp chấm vê en"),
    ])


def test_plain_vietnamese_unchanged() -> None:
    for sentence in [
        "Thôn Long An, xã Tân Lập, an toàn tuyệt đối.",
        "Lễ kỷ niệm được tổ chức long trọng, to và rõ.",
        "Bà con chú ý giữ gìn vệ sinh môi trường.",
    ]:
        assert normalize(sentence) == sentence.lower()
    assert said("THÔNG BÁO KHẨN VỀ PHÒNG CHỐNG DỊCH") == "thông báo khẩn về phòng chống dịch"


# --- warnings ----------------------------------------------------------------------


def test_find_unspeakable() -> None:
    assert find_unspeakable("UBND xã thông báo.") == []
    warnings = find_unspeakable("Liên hệ XYZ 😀 Привет")
    assert any("XYZ" in w for w in warnings)
    assert any("😀" in w for w in warnings)
    assert any("cyrillic" in w for w in warnings)
    assert not any("°" in w for w in find_unspeakable("Nhiệt độ 35°C."))
    assert any("QWZ" in w for w in find_unspeakable("Khu QWZ"))
    assert find_unspeakable("") == []


# --- robustness ----------------------------------------------------------------------


def test_odd_inputs_never_raise() -> None:
    for text in ["", " ", "\0\0", "\ud800abc", "😀" * 10, "١٢٣", "１２３", "½", "\u2028x", "x\ry"]:
        out = normalize(text)
        assert not re.search(r"\d", out)
        assert "\n" not in out and "\r" not in out and "\u2028" not in out


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_digit_ever_in_output(text: str) -> None:
    out = normalize(text)
    assert not re.search(r"\d", out)
    assert len(out.splitlines()) <= 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=80), max_size=10))
def test_one_line_out_per_line_in(lines: list[str]) -> None:
    out = list(normalize_lines(lines))
    assert len(out) == len(lines)
    assert all("\n" not in line for line in out)


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="0123456789./-:, hAĐxã%°", min_size=1, max_size=20))
def test_bounded_time_for_long_lines(unit: str) -> None:
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    start = time.perf_counter()
    out = normalize(text)
    assert time.perf_counter() - start < 5
    assert not re.search(r"\d", out)


def test_module_main_one_line_per_line() -> None:
    data = b"UBND x\xc3\xa3 c\xc3\xb3 156.000 h\xe1\xbb\x99\n\nxin ch\xc3\xa0o\r\n\xff\xfe 12\n"
    proc = subprocess.run(
        [sys.executable, "-m", "radiocli.render.normalize"], input=data, capture_output=True, timeout=60
    )
    assert proc.returncode == 0
    lines = proc.stdout.decode("utf-8").split("\n")
    assert lines[:3] == ["ủy ban nhân dân xã có một trăm năm mươi sáu nghìn hộ", "", "xin chào"]
    assert len(lines) == 5 and lines[4] == ""


def test_cli_command() -> None:
    from click.testing import CliRunner

    from radiocli.cli.normalize import command

    runner = CliRunner()
    result = runner.invoke(command, ["Gọi 113"])
    assert result.exit_code == 0 and result.output == "gọi một một ba\n"


@pytest.mark.slow
def test_scorer_strict_on_sure() -> None:
    score = SHARED / "score.py"
    if not score.exists():
        pytest.skip("../shared/normalize is not available")
    proc = subprocess.run(
        [sys.executable, str(score), "--", sys.executable, "-m", "radiocli.render.normalize"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    match = re.search(r"strict-on-sure \d+/\d+ \(([\d.]+)%\)", last)
    assert match, last
    assert float(match.group(1)) >= 95.0, proc.stdout
    assert "outputs-with-digits 0" in last
