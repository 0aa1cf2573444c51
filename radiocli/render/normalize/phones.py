"""Phone numbers and hotlines, read digit by digit: 'tổng đài 1022' -> 'một không hai hai'.

Three rules, in this order:

1. A number right after a call word (``gọi``, ``liên hệ``, ``tổng đài``, ``hotline``,
   ``quay số`` ...), with at most four small words between them ("gọi **ngay** 114",
   "hãy gọi **ngay số** 115", "gọi **đến số** 1022", "liên hệ **qua số** ..."), is read
   digit by digit when it looks like a phone or service number (it starts with 0 or 1
   and has at least 3 digits, or it has 7 or more).
2. A service number (111-119, 1022, 1080, 1088, 1800/1900 numbers) is read digit by
   digit anywhere after a call word in the same sentence ("gọi ngay cho lực lượng cảnh
   sát theo số 114") and right after the name of an emergency service ("cấp cứu 115").
3. A number written like a phone number (0xx... or +84 with 9-12 digits) is read digit
   by digit anywhere.

A number followed by what it counts stays a number: "đã liên hệ 115 hộ", "gọi 113 lần".
"""

from __future__ import annotations

import re

from . import regex
from .numbers import read_digits
from .units import UNITS

_CONTEXT_WORDS = {"sđt": "số điện thoại", "đt": "điện thoại"}

#: words that name a phone line (a number right after them is one)
_LINE_WORDS = (r"tổng đài|đường dây nóng|hotline|số điện thoại|điện thoại|sđt|đt|fax|số máy|"
               r"số khẩn cấp")
#: verbs of a call to action
_CALL_VERBS = (r"gọi(?:\s+điện(?:\s+thoại)?)?|liên hệ|liên lạc|quay số|bấm số|nhắn tin|"
               r"gửi tin nhắn|soạn tin|phản ánh|báo tin")
#: small words that may stand between a call word and its number
_FILLERS = (r"ngay(?:\s+lập\s+tức)?|lập tức|khẩn cấp|kịp thời|hãy|cho|đến|tới|về|vào|qua|"
            r"theo|với|số|là|máy|điện thoại|tổng đài|đường dây nóng|hotline|miễn phí|"
            r"trực tiếp")
#: what a number can count: after one of these it is a quantity, not a number to dial
_COUNTED = (
    "hộ", "người", "ca", "trường hợp", "gia đình", "lượt", "lần", "cuộc", "tin", "đơn",
    "đơn vị", "xã", "phường", "thị trấn", "thôn", "xóm", "tổ", "khu", "điểm", "cơ sở",
    "doanh nghiệp", "cán bộ", "học sinh", "sinh viên", "công nhân", "bệnh nhân", "nhân viên",
    "vụ", "việc", "tin báo", "đồng chí", "thành viên", "tình nguyện viên", "hội viên",
    "đảng viên", "cử tri", "mũi", "liều", "suất", "phần", "túi", "bao", "thùng", "kiện", "tấn", "tạ", "yến", "lít", "mét",
    "đồng", "nghìn", "ngàn", "triệu", "tỷ", "tỉ", "ngày", "giờ", "phút", "giây", "tuần",
    "tháng", "năm", "tuổi", "xe", "chiếc", "con", "cái", "căn", "ngôi", "nhà", "cây", "trang",
    "bản", "bộ", "chuyến", "phòng", "giường", "lớp", "trường", "ngõ", "ngách", "phố", "đường",
    "héc ta", "ki lô", "lô", "thửa", "m", "km", "kg", "ha",
)
_NOT_COUNTED = (
    r"(?!\s*(?:%|‰|°))"
    r"(?!\s*(?:" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
    + r")(?![\w]))"
    r"(?!\s+(?i:" + "|".join(re.escape(w) for w in sorted(_COUNTED, key=len, reverse=True))
    + r")(?![\w]))"
)

_NUM = r"\+?[0-9]+(?:[ .-][0-9]+){0,5}(?![0-9])"
_AFTER_CONTEXT = regex.compile(
    rf"(?i)(?<![\w])({_LINE_WORDS}|{_CALL_VERBS}|gọi|liên hệ|liên lạc)"
    rf"((?:\s*[:(]\s*|\s+)(?:(?:{_FILLERS})\s*:?\s+){{0,4}})"
    rf"({_NUM}(?:\s*(?:,|/|;|hoặc|và)\s*{_NUM}){{0,5}})"
)
_ONE_NUMBER = regex.compile(_NUM)
_BARE = regex.compile(r"(?<![\w.,+/:])(?:\+84|0)[0-9]*(?:[ .-][0-9]+){0,5}(?![0-9])")
_GROUPS = regex.compile(r"[ .-]?[0-9]+")

#: numbers of public services, whatever stands between them and the call to action
_SERVICE = regex.compile(
    r"(?<![\w.,+/:-])(?:11[1-9]|1022|1080|1088|1[89]00(?:[ .]?[0-9]){4,6})"
    r"(?![0-9]|[.,/:-][0-9]|[^\W\d_])" + _NOT_COUNTED
)
#: a call to action: from a call word to the end of its sentence
_CALL_TO_ACTION = regex.compile(
    rf"(?i)(?<![\w])(?<!kêu\s)(?<!mời\s)(?:{_LINE_WORDS}|{_CALL_VERBS})(?![\w])"
    r"(?:[^.!?;\n]|[.!?;](?=\S))*"
)
#: the name of an emergency service right before its number: "cấp cứu 115"
_SERVICE_NAME = regex.compile(
    r"(?i)((?<![\w])(?:cấp cứu|cứu thương|cứu hỏa|cứu hoả|cứu nạn|cứu hộ|công an|cảnh sát)"
    r"\s*:?\s*(?:số\s+)?)(11[1-9])(?![0-9]|[.,/:-][0-9]|[^\W\d_])"
    + _NOT_COUNTED
)

#: words after which a number names a document or a place, even in a call to action
_NAMED_BEFORE = regex.compile(
    r"(?i)(?<![\w])(?:quyết định|nghị quyết|nghị định|công văn|chỉ thị|thông tư|thông báo|"
    r"kế hoạch|văn bản|tờ trình|luật|điều|khoản|mục|phòng|nhà|số nhà|ngõ|ngách|hẻm|kiệt|"
    r"phố|đường|tổ|thôn|xóm|khu|lô|tầng|km)\s+(?:số\s+)?$"
)


def _digit_count(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _phone_prefix(number: str, lo: int, hi: int) -> int:
    """Length of the longest prefix of whole digit groups with lo..hi digits, or 0."""
    best = 0
    count = 0
    pos = 0
    for group in _GROUPS.finditer(number):
        count += _digit_count(group.group(0))
        if count > hi:
            break
        pos = group.end()
        if count >= lo:
            best = pos
    return best


def _looks_like_service_number(number: str) -> bool:
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+"):
        return True
    if len(digits) < 3:
        return False
    return digits[0] in "01" or len(digits) >= 7


def _read_service_number(number: str) -> str:
    """Digits of one hotline; trailing space-separated groups only if they complete it."""
    first = re.match(r"\+?[0-9]+(?:[.-][0-9]+)*", number)
    end = first.end() if first else len(number)
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits[:4] in ("1800", "1900") and _digit_count(number) <= 10:
        end = len(number)
    end = max(end, _phone_prefix(number, 9, 12))
    return read_digits(number[:end]) + number[end:]


_NOT_COUNTED_RE = regex.compile(_NOT_COUNTED)


def _counts_something(text: str, end: int) -> bool:
    """True when the number ending at ``end`` is followed by what it counts."""
    return _NOT_COUNTED_RE.match(text, end) is None


def _context(match: re.Match[str]) -> str:
    word, sep, numbers = match.group(1), match.group(2), match.group(3)
    before = match.string[max(0, match.start() - 6):match.start()]
    if word.lower().startswith("gọi") and re.search(r"(?i)(?:kêu|mời)\s*$", before):
        return match.group(0)
    first = _ONE_NUMBER.match(numbers)
    if first is None or not _looks_like_service_number(first.group(0)):
        return match.group(0)
    if _counts_something(match.string, match.start(3) + first.end()):
        return match.group(0)

    def one(m: re.Match[str]) -> str:
        if not _looks_like_service_number(m.group(0)):
            return m.group(0)
        return _read_service_number(m.group(0))

    spoken_word = _CONTEXT_WORDS.get(word.lower(), word)
    return f"{spoken_word}{sep}{_ONE_NUMBER.sub(one, numbers)}"


def _service_numbers(match: re.Match[str]) -> str:
    """Every service number in one call to action, digit by digit."""
    call = match.group(0)

    def one(m: re.Match[str]) -> str:
        if _NAMED_BEFORE.search(call[max(0, m.start() - 30):m.start()]):
            return m.group(0)  # "Quyết định 115", "ngõ 113": a name, not a number to dial
        return _read_service_number(m.group(0))

    return _SERVICE.sub(one, call)


def _bare(match: re.Match[str]) -> str:
    number = match.group(0)
    end = _phone_prefix(number, 9, 12)
    if not end:
        return number
    return read_digits(number[:end]) + number[end:]


def speak_phone_numbers(text: str) -> str:
    """Read hotlines (after 'tổng đài', 'hotline', 'gọi ngay số'...), service numbers in a
    call to action (113, 114, 115, 1022, 1900 ...) and 0xxx phone numbers."""
    text = _AFTER_CONTEXT.sub(_context, text)
    text = _CALL_TO_ACTION.sub(_service_numbers, text)
    text = _SERVICE_NAME.sub(lambda m: m.group(1) + read_digits(m.group(2)), text)
    return _BARE.sub(_bare, text)
