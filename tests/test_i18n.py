"""Vietnamese from end to end (issue 15.6).

- The catalogue: every message of the code has a Vietnamese entry (or is listed in
  tests/i18n_pending.txt), none is fuzzy, empty or twice there, placeholders match, the
  committed .mo is compiled from the .po and the committed .pot is current.
- The corpus: a set of commands (every --help, usage errors, validate on bad schedules,
  plan, stations, normalize, say, render, reports on a simulated store, logs, status with
  and without a daemon, doctor, keys, approve, verify) run under --lang vi; every message
  looked up without a Vietnamese translation, and every output line that still reads as
  English, fails the test unless tests/i18n_pending.txt lists it (the messages of modules
  other work owns now; the list may only shrink: an entry that is translated or no longer
  met fails too).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from ticking import while_ticking

from radiocli import i18n

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "schedules"
PENDING = Path(__file__).with_name("i18n_pending.txt")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def catalog_script():
    spec = importlib.util.spec_from_file_location("catalog", REPO / "scripts" / "catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the pending list -----------------------------------------------------------------
# tests/i18n_pending.txt: "module<TAB>message" lines; a module written "?module" marks a
# message met or not depending on the machine (doctor's checks), which is never stale


@dataclass
class Pending:
    """One message of a module another helper owns now, still in English."""

    module: str
    text: str  # the msgid, or the English template with {placeholders}
    varies: bool = False  # met or not depending on the machine (doctor's checks)
    pattern: re.Pattern[str] = field(init=False)
    words: str = field(init=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{[^{}]*\}", self.text)
        self.pattern = re.compile(".*?".join(re.escape(p) for p in parts))
        self.words = " ".join(self.text.split())

    def covers(self, piece: str, part: bool = False) -> bool:
        """Is ``piece`` this message (``part``: a piece of it, as help wraps long texts and
        shortens them in a list of commands)?"""
        if not part:
            return bool(self.pattern.search(piece))
        return " ".join(piece.removesuffix("...").split()) in self.words


def pending() -> list[Pending]:
    out = []
    for raw in PENDING.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        module, _tab, text = raw.partition("\t")
        varies = module.startswith("?")
        out.append(Pending(module.strip("? "), text.replace("\\n", "\n").replace("\\t", "\t"),
                           varies))
    return out


# --- the catalogue --------------------------------------------------------------------


def test_the_catalogue_is_complete_checked_and_compiled():
    catalog = catalog_script()
    template = catalog.extract()
    problems = catalog.template_problems(template)
    problems += catalog.check_language("vi", template, catalog.click_messages())
    if not catalog.mo_current("vi"):
        problems.append("radiocli/locale/vi/LC_MESSAGES/radiocli.mo is out of date")
    allowed = {p.text for p in pending()}
    problems = [p for p in problems
                if not any(p.endswith(f"no entry for {text!r}") for text in allowed)]
    assert not problems, ("run .venv/bin/python scripts/catalog.py after fixing vi.po:\n"
                          + "\n".join(problems))


def test_the_check_finds_fuzzy_empty_and_wrong_placeholders(tmp_path, monkeypatch):
    catalog = catalog_script()
    po = tmp_path / "vi.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy\nmsgid "a {x}"\nmsgstr "a {x}"\n\n'
        'msgid "b"\nmsgstr ""\n\n'
        'msgid "c {name}"\nmsgstr "c {ten}"\n\n'
        'msgid "b"\nmsgstr "b"\n', encoding="utf-8")
    monkeypatch.setattr(catalog, "po_file", lambda language: po)
    from babel.messages.catalog import Catalog

    template = Catalog()
    for message in ("a {x}", "b", "c {name}", "d"):
        template.add(message)
    problems = "\n".join(catalog.check_language("vi", template, set()))
    assert "fuzzy: 'a {x}'" in problems
    assert "no translation: 'b'" in problems or "the same message" in problems
    assert "placeholders ['{ten}'] in the translation, ['{name}']" in problems
    assert "the same message as line" in problems
    assert "no entry for 'd'" in problems


def test_pending_entries_name_modules_that_other_work_owns():
    """The allow-list is for modules being edited by others now, never for i18n's own."""
    others = ("play/", "aslog/", "cli/run.py", "cli/status.py", "cli/doctor.py",
              "cli/reload.py", "cli/alert.py", "cli/simulate.py", "cli/logs.py")
    wrong = [p for p in pending() if not p.module.startswith(others)]
    assert not wrong, [f"{p.module}: {p.text}" for p in wrong]


# --- the language ---------------------------------------------------------------------


def test_language_comes_from_the_environment_as_gettext_reads_it():
    assert i18n.language_from_env({"LANG": "vi_VN.UTF-8"}) == "vi"
    assert i18n.language_from_env({"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.language_from_env({"LC_ALL": "vi_VN", "LANG": "en_US"}) == "vi"
    assert i18n.language_from_env({"LANGUAGE": "en", "LANG": "vi_VN.UTF-8"}) == "en"
    assert i18n.language_from_env({}) == "en"


def test_plural_forms_come_from_the_catalogue():
    i18n.set_language("en")
    assert i18n.ngettext("{n} error", "{n} errors", 1).format(n=1) == "1 error"
    assert i18n.ngettext("{n} error", "{n} errors", 3).format(n=3) == "3 errors"
    i18n.set_language("vi")
    assert i18n.ngettext("{n} error", "{n} errors", 1).format(n=1) == "1 lỗi"
    assert i18n.ngettext("{n} error", "{n} errors", 3).format(n=3) == "3 lỗi"
    assert i18n.pgettext("priority", "normal") == "bình thường"
    assert i18n.word("priority", "emergency") == "khẩn cấp"
    assert i18n.word("status", "missed") == "bỏ lỡ"


def test_the_hook_names_what_has_no_translation():
    seen: list[str] = []
    i18n.set_language("vi")
    i18n.on_missing(seen.append)
    try:
        assert i18n._("no such message, ever") == "no such message, ever"
        i18n._("unknown station code {code}{did_you_mean}")  # translated: not noted
        i18n.reason("something new: happened")
    finally:
        i18n.on_missing(None)
    assert seen == ["no such message, ever", "reason|something new: happened"]


def test_reasons_of_the_log_are_translated_where_they_are_shown():
    i18n.set_language("vi")
    text = i18n.reason("late: waited 2.5 min behind another program; "
                       "preempted-by: khan-cap@2021-08-05T17:10 at 17:10:00")
    assert text == ("phát muộn: chờ 2,5 phút sau một chương trình khác; bị ngắt để phát "
                    "khan-cap@2021-08-05T17:10 lúc 17:10:00")
    i18n.set_language("en")
    assert i18n.reason("blackout: storm") == "blackout: storm"


SAMPLE_VALUES = {"late": "2.5", "down": "12", "limit": "30", "paused": "31", "age": "120",
                 "played": "61.5", "unlogged": "4", "left": "300", "n": "3", "offset": "1024",
                 "code": "1", "time": "17:10:00", "day": "2021-08-05",
                 "sent": "2021-08-05 17:10:00", "at": "2021-08-31T23:59+07:00",
                 "until": "2021-08-31T23:59:00+07:00", "priority": "emergency"}


def test_every_reason_the_daemon_writes_is_shown_in_vietnamese():
    """Each English template of i18n's reasons, filled as the daemon fills it, is shown
    whole in Vietnamese: nothing left untranslated, no English left in the line."""
    import string

    seen: list[str] = []
    i18n.set_language("vi")
    i18n.on_missing(seen.append)
    try:
        for entry in i18n._REASONS:
            written = entry[0] if isinstance(entry, tuple) else entry
            fields = {f for _t, f, _s, _c in string.Formatter().parse(written) if f}
            text = written.format(**{f: SAMPLE_VALUES.get(f, "x9") for f in fields})
            shown = i18n.reason(text)
            assert shown != text, text
            assert not reads_as_english(shown), (text, shown)
    finally:
        i18n.on_missing(None)
        i18n.set_language("en")
    assert not seen


def test_reasons_show_dates_decimals_and_words_as_vietnamese_writes_them():
    i18n.set_language("vi")
    try:
        assert i18n.reason("offline: the alert is 120 min old (sent at 2021-08-05 17:10:00)") \
            == "không hoạt động: thông báo khẩn cấp đã gửi 120 phút trước (gửi lúc " \
               "05/08/2021 17:10:00)"
        assert "1,5 giây" in i18n.reason("late: on air 1.5 s after the alert was sent")
        assert i18n.reason("waiting behind em (emergency), on air since 10:00:02") == \
            "đang chờ sau em (khẩn cấp), đang phát từ 10:00:02"
        assert i18n.reason("expired: the approval of the schedules ended at "
                           "2021-08-31T23:59+07:00; approve them again and reload") == \
            "hết hạn: phê duyệt lịch phát đã hết hạn lúc 31/08/2021 23:59; hãy phê duyệt " \
            "lại rồi tải lại"
        # a reason whose value holds "; " (another reason) is still one reason
        assert i18n.reason("alert refused: the alert is not signed; this daemon airs only "
                           "alerts signed with an emergency key (radiocli alert --key KEY)") \
            == ("thông báo khẩn cấp bị từ chối: thông báo khẩn cấp chưa được ký; tiến "
                "trình phát này chỉ phát thông báo khẩn cấp ký bằng khóa khẩn cấp "
                "(radiocli alert --key KHÓA)")
        # a general form does not swallow the reasons after it
        assert i18n.reason("failed: a part was skipped; preempted-by: x@2021-08-05T10:00 at "
                           "10:00:00") == ("lỗi: một phần bị bỏ qua; bị ngắt để phát "
                                           "x@2021-08-05T10:00 lúc 10:00:00")
        # what another module said in the reader's language is shown as written
        assert i18n.reason("reload refused: a.yaml:2:3: lỗi: thiếu segments:; the schedule "
                           "loaded before keeps airing") == (
            "từ chối tải lại: a.yaml:2:3: lỗi: thiếu segments:; lịch phát đã tải trước đó "
            "vẫn tiếp tục phát")
        assert i18n.day_text("2021-08-05") == "05/08/2021"
        assert i18n.number_text(3000) == "3.000"
    finally:
        i18n.set_language("en")
    assert i18n.reason("late: on air 1.5 s after the alert was sent") == \
        "late: on air 1.5 s after the alert was sent"
    assert i18n.day_text("2021-08-05") == "2021-08-05"
    assert i18n.number_text(3000) == "3,000"


def test_a_thread_speaks_its_own_language():
    """The daemon answers each request in its sender's language; its other threads keep
    the daemon's."""
    import threading

    i18n.set_language("en")
    heard: dict[str, str] = {}
    inside = threading.Event()
    done = threading.Event()

    def sender() -> None:
        with i18n.speaking("vi"):
            heard["inside"] = i18n._("removed")
            inside.set()
            done.wait(5)
        heard["after"] = i18n._("removed")

    thread = threading.Thread(target=sender)
    thread.start()
    assert inside.wait(5)
    heard["other"] = i18n._("removed")  # at the same moment, in another thread
    done.set()
    thread.join(5)
    assert heard == {"inside": "đã xóa", "after": "removed", "other": "removed"}
    with i18n.speaking("xx"):  # not a language: nothing changes
        assert i18n.language() == "en"


def test_the_daemon_writes_english_and_answers_each_sender_in_its_language(tmp_path):
    """The as-run log and status.json stay English whatever language the daemon runs in
    (other programs read them; they are translated where shown); a reload's problems
    come back in the language of the command that asked."""
    import json

    from radiocli.home import Home
    from radiocli.play import control
    from radiocli.play.clock import FakeClock
    from radiocli.play.daemon import Config, Daemon

    t0 = datetime(2030, 1, 1, 10, 0, tzinfo=TZ)
    clock = FakeClock(t0)
    schedules = playout_schedules(tmp_path / "playout", t0)
    i18n.set_language("vi")
    daemon = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]),
                    clock=clock)
    daemon.start(threads=False)

    def reply(kind, payload, sent=None):
        request = control.submit(daemon.rundir, kind, payload, sent or clock.now())
        for _step in range(5):
            clock.advance(0.2)
            daemon.tick()
        name = f"alert-{request}" if kind == control.Request.ALERT else request
        return json.loads((daemon.rundir.replies / f"{name}.json").read_text("utf-8"))

    try:
        clock.advance(3 * 3600)  # an alert taken three hours after it was sent: missed
        answer = reply(control.Request.ALERT, {"stations": ["00001"], "text": ALERT_TEXT,
                                                "lang": "vi"}, sent=t0)
        assert answer["stations"][0]["reason"].startswith("offline: the alert is 180 min old")
        (schedules / "loi.yaml").write_text("programs:\n  x:\n    when: {at: 6h}\n",
                                            encoding="utf-8")
        i18n.set_language("en")  # the daemon runs in English (systemd's C.UTF-8)
        daemon_log = DaemonLog()
        logging.getLogger("radiocli.play").addHandler(daemon_log)
        try:
            vietnamese = reply(control.Request.RELOAD, {"lang": "vi"})
        finally:
            logging.getLogger("radiocli.play").removeHandler(daemon_log)
        # the daemon's log keeps the daemon's language (what it quotes is the reply's)
        assert daemon_log.lines and all(line.startswith("reload refused: ")
                                        for line in daemon_log.lines), daemon_log.lines
        english = reply(control.Request.RELOAD, {"lang": "en"})
        assert not vietnamese["ok"] and not english["ok"]
        assert "thiếu segments" in vietnamese["problems"][0]["message"]
        assert "segments" in english["problems"][0]["message"]
        assert "thiếu" not in english["problems"][0]["message"]
        status = json.loads(daemon.rundir.status_file.read_text("utf-8"))
        notes = [e["reason"] for e in status["stations"][0]["errors"]]
        assert notes and all(n.startswith("reload refused: ") for n in notes), notes
    finally:
        daemon.stop()
        i18n.set_language("en")
    log = [json.loads(line) for path in (tmp_path / "home" / "logs" / "00001").glob("*.jsonl")
           for line in path.read_text("utf-8").splitlines()]
    reasons = [x["reason"] for x in log if x.get("reason")]
    assert reasons and all(r.isascii() for r in reasons), reasons
    assert any(r.startswith("offline: the alert is 180 min old") for r in reasons)


def test_apscheduler_warnings_come_in_the_daemons_language():
    from radiocli.play.jobs import SchedulerWords

    class Job:
        name = "ban-tin-trua"

    record = logging.LogRecord("apscheduler.executors.default", logging.WARNING, "", 0,
                               'Run time of job "%s" was missed by %s', (Job(), "1:30:00"),
                               None)
    i18n.set_language("vi")
    try:
        assert SchedulerWords().filter(record)
    finally:
        i18n.set_language("en")
    assert record.getMessage() == 'Tác vụ "ban-tin-trua" đã lỡ giờ chạy 1:30:00'


def test_core_errors_are_made_in_the_language_set(tmp_path):
    from radiocli.schedule.values import parse_time

    i18n.set_language("vi")
    with pytest.raises(ValueError, match="phải là giờ trong ngày"):
        parse_time("25h")
    i18n.set_language("en")
    with pytest.raises(ValueError, match="must be a time of day"):
        parse_time("25h")


def test_help_follows_lang_even_for_a_command_imported_before(cli):
    english = cli("--lang", "en", "plan", "--help").output
    vietnamese = cli("--lang", "vi", "plan", "--help").output
    again = cli("--lang", "en", "plan", "--help").output
    assert "Show what will air" in english and english == again
    assert "Xem những gì sẽ phát" in vietnamese and "Cách dùng:" in vietnamese
    assert "--date NGÀY" in vietnamese and "Hiện hướng dẫn này rồi thoát." in vietnamese
    assert "Show" not in vietnamese


def test_lang_vi_from_the_environment_in_a_real_process(tmp_path):
    env = {**os.environ, "LANG": "vi_VN.UTF-8", "RADIOCLI_HOME": str(tmp_path)}
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    result = subprocess.run([sys.executable, "-m", "radiocli", "plan", "--days", "0"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Cách dùng: radiocli plan" in result.stderr
    assert "Lỗi: Giá trị không hợp lệ cho '--days'" in result.stderr


# --- the corpus -----------------------------------------------------------------------

# English function words that are no Vietnamese syllable ("a", "an", "in", "to", "no"
# are): a line with two of them reads as English; so does a line with two of the content
# words and no Vietnamese letter at all (a table heading)
FUNCTION_WORDS = frozenset("""
the is are was were be been not and or of for with from this that these must has have had
by which when than into there their what cannot does did should would will could on at it
its as if then only each every after before until since without because while where who
you your can may per any one
""".split())
CONTENT_WORDS = frozenset("""
missing unknown error errors warning warnings file files folder station stations program
programs schedule schedules minutes minute wrote note usage options example daemon alert
log logs line lines key keys value values bundle signed signature trusted approved report
reports total district districts aired planned missed preempted resumed session sessions
occurrence occurrences days day show print list new time date text voice engine speech
audio check result detail next waiting running stopped found failed invalid expected
""".split())
VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
                        re.IGNORECASE)
IGNORED_LINE = re.compile(r"^\s*[\[{\]}]|^\s*\"[\w-]+\":")  # JSON


def english_words(line: str) -> list[str]:
    """The English words of a line of output, once commands, options and their values,
    paths, quoted values, YAML keys, lists of keywords and codes are taken out."""
    text = re.sub(r"^\s*[a-z][a-z-]*(?=\s{2,})", " ", line)  # a command in a help list
    text = re.sub(r"radiocli(?: [a-z][a-z-]*)+", " ", text)
    text = re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", " ", text)
    text = re.sub(r"\[[^\]]*\|[^\]]*\]", " ", text)  # [speech|levels|programs]
    text = re.sub(r"--?[A-Za-z][\w-]*(?:[ =][^\s,;)]+)?", " ", text)
    text = re.sub(r"\S*[/\\.@=]\S*", " ", text)
    text = re.sub(r"\b[a-z][\w-]*:(?=[\s,;)]|$)", " ", text)  # YAML keys: when:, targets:
    text = re.sub(r"\b\w+_\w+\b", " ", text)  # max_delay, district_kinds
    text = KEYWORD_LIST.sub(_keywords, text)  # lists of keywords: title, priority, when
    return re.findall(r"[A-Za-zÀ-ỹ]+", text)


KEYWORD_LIST = re.compile(r"\b[a-z-]+(?:(?:, | hoặc | và | or )[a-z-]+)+")


def _keywords(found: re.Match[str]) -> str:
    """A list of four or more words, or of words that are not English function words, is
    a list of keys or values (kept as written); a shorter one may be English prose."""
    words = re.findall(r"[a-z-]+", found[0])
    return " " if len(words) >= 4 or not set(words) & FUNCTION_WORDS else found[0]


def reads_as_english(line: str) -> bool:
    if IGNORED_LINE.match(line):
        return False
    words = [w.lower() for w in english_words(line) if not w.isupper()]
    if sum(w in FUNCTION_WORDS for w in words) >= 2:
        return True
    return sum(w in CONTENT_WORDS for w in words) >= 2 and not VIETNAMESE.search(line)


def test_the_english_detector():
    assert reads_as_english("no playout daemon is running")
    assert reads_as_english("Station\tOn air\tNext\tWaiting\tLast error")
    assert reads_as_english("radiocli: the period runs backwards: --from 2021-08-02 is after")
    assert not reads_as_english("Cách dùng: radiocli plan [OPTIONS]")
    assert not reads_as_english("  -> được dùng: title, priority, targets, when, from, until")
    assert reads_as_english("daemon main (pid 12, sink file, since 2021-08-05, updated 2021-08-05)")
    assert not reads_as_english("  stations   Danh mục đài theo thời gian: đơn vị, mã")
    assert not reads_as_english("Ví dụ: radiocli keys generate --out keys --role district")
    assert not reads_as_english("radiocli: không có đài mã 99999 (xem radiocli stations list)")
    assert not reads_as_english("  --date NGÀY   Ngày đầu tiên: YYYY-MM-DD, today (hôm nay)")
    assert not reads_as_english('a.yaml:3:5: lỗi: khóa "sau" không hợp lệ trong when: của x')
    assert reads_as_english("a.yaml:3:5: error: unknown key \"x\" in programs")


BAD_FILES = {
    # one YAML syntax error per file: the parser stops at the first
    "syntax-tab.yaml": "programs:\n\tx:\n    title: a\n",
    "syntax-quote.yaml": 'programs:\n  x:\n    title: "không đóng\n    when: {at: "06:00"}\n',
    "syntax-flow.yaml": "programs:\n  x:\n    when: [{at: 06:00}\n    segments: []\n",
    "syntax-colon.yaml": "programs:\n  x:\n    title: Bản tin: sáng nay\n",
    "syntax-dash.yaml": "programs:\n  x:\n    segments:\n      -say: xin chào\n",
    "syntax-indent.yaml": "programs:\n  x:\n    title: a\n   when: {at: '06:00'}\n",
    "syntax-list.yaml": "programs:\n  x:\n    segments:\n    - say: a\n      - say: b\n",
    "syntax-percent.yaml": "programs:\n%x: 1\n",
    "syntax-start.yaml": "programs:\n  x:\n    title: @abc\n",
    "syntax-escape.yaml": 'programs:\n  x:\n    title: "a\\q"\n',
    "empty.yaml": "",
    "list.yaml": "- a\n- b\n",
    "alias.yaml": "a: &x 1\nb: *x\n",
    "two.yaml": "programs: {}\n---\nprograms: {}\n",
    "nul.yaml": "programs:\x00\n",
    "programs.yaml": """\
district: "001"
programs:
  sai-khoa:
    titel: Bản tin
    when: {at: "06:00"}
    segments: [{say: Xin chào}]
  sai-gio:
    when: {at: "25:00", days: "thứ tám"}
    segments: [{say: Xin chào}]
  sai-ngay:
    from: 30/02/2021
    until: 2021-01-01
    when: [{once: "hôm qua"}, {every: 30s, between: "08:00-07:00"}]
    segments: [{silence: 0s}, {say: ""}, {chime: ../x}, {relay: ftp://x}]
  sai-muc-uu-tien:
    priority: khan
    when: {days: T2-T6}
    segments: {say: x}
  sai-dai:
    targets: {stations: ["99999"], districts: ["002"]}
    when: {at: "07:00"}
    segments: [{play: khong-co.wav}, {play: /tmp/x.wav}, {play: ../x.wav}, {chime: chuong}]
  trung-gio-1:
    when: {at: "10:00"}
    segments: [{silence: 10m}]
  trung-gio-2:
    when: {at: "10:05"}
    segments: [{silence: 10m}]
  dem-khuya:
    when: {at: "23:30"}
    segments: [{say: "Liên hệ 0912 345 678 hoặc email abc@xyz.vn, mã QR%$#"}]
  khong-bao-gio:
    from: 2021-08-01
    until: 2021-08-02
    when: {at: "06:00", days: chủ nhật}
    segments: [{say: Xin chào}]
  tiep-song:
    when: {at: "08:00"}
    segments: [{relay: "http://relay.local/x", rate: 100}, {say: a, voice: vi, rate: 999}]
""",
    "station.yaml": "station: \"99999\"\nprograms: {}\n",
    "both.yaml": "district: \"001\"\nstation: \"00001\"\nprograms: {}\n",
    "blackouts.yaml": """\
blackouts:
  - {from: "2021-08-05 10:00", until: "2021-08-05 09:00", stations: ["00001"]}
  - {from: "2021-08-05 10:00"}
holidays:
  - {name: Lễ}
policy:
  name: hanoi-2021
""",
}


def bad_project(tmp_path: Path) -> Path:
    """The sample schedules with bad files added, and a copy of the audio."""
    root = tmp_path / "bad"
    shutil.copytree(SAMPLE, root / "schedules")
    shutil.copytree(REPO / "audio", root / "audio")
    (root / "audio" / "hong.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    for name, text in BAD_FILES.items():
        (root / "schedules" / "zz-bad" / name).parent.mkdir(exist_ok=True)
        (root / "schedules" / "zz-bad" / name).write_text(text, encoding="utf-8")
    return root / "schedules"


def tiny_project(tmp_path: Path) -> Path:
    """The sample registry and one district program, for render and approve."""
    root = tmp_path / "tiny"
    (root / "schedules").mkdir(parents=True)
    shutil.copytree(SAMPLE / "registry", root / "schedules" / "registry")
    shutil.copytree(REPO / "audio", root / "audio")
    (root / "schedules" / "ba-dinh.yaml").write_text("""\
district: "001"
programs:
  ban-tin:
    title: Bản tin sáng
    when: {at: "06:00"}
    segments:
      - say: Ủy ban nhân dân phường thông báo lịch tiêm chủng.
      - play: khong-co-tep.wav
""", encoding="utf-8")
    return root / "schedules"


@dataclass
class Corpus:
    runner: CliRunner
    home: Path
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, *args: str, schedules: Path | None = None, scan: bool = True,
                 input: str | None = None, code: int | None = None) -> str:
        argv = ["--lang", "vi", "--home", str(self.home)]
        if schedules is not None:
            argv += ["--schedules", str(schedules)]
        result = self.runner.invoke(_cli(), [*argv, *args], input=input,
                                    catch_exceptions=False, prog_name="radiocli")
        output = result.output
        assert "Traceback" not in output, (args, output)
        if code is not None:
            assert result.exit_code == code, (args, result.exit_code, output)
        if scan:
            self.outputs.append((" ".join(args), output))
        return output


def _cli():
    from radiocli.cli import cli

    return cli


def every_command() -> Iterator[list[str]]:
    import click

    from radiocli.cli import COMMANDS, cli

    yield []
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        yield [name]
        if isinstance(command, click.Group):
            for sub in command.commands:
                yield [name, sub]


def make_store_logs(home: Path) -> None:
    """A small simulated network: district 001 for three days, with faults."""
    runner = CliRunner()
    result = runner.invoke(_cli(), [
        "--lang", "vi", "--home", str(home), "--schedules", str(SAMPLE), "simulate",
        "--from", "2021-08-02", "--to", "2021-08-04", "--district", "001",
        "--offline", "00004:2021-08-03--2021-08-03", "--fail", "vov-thoi-su-sang:0.5",
        "--late", "0.2", "--seed", "7"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def fake_daemon(home: Path):
    """A live pid file and a status.json as a running daemon keeps them."""
    from radiocli.play import control

    rundir = control.RunDir(home / "run", "main")
    rundir.make()
    pid = control.PidFile(rundir.pid_file)
    pid.acquire({"started": "2021-08-05T17:00:00+07:00", "sink": "file"})
    now = datetime(2021, 8, 5, 17, 10, tzinfo=TZ)
    control.write_json_atomic(rundir.status_file, {
        "sink": "file", "started": "2021-08-05T17:00:00+07:00", "updated": now.isoformat(),
        "log_errors": ["as-run log: /var/lib/radiocli/logs/00343/2021-08-05.jsonl: cannot "
                       "write the as-run log: the disk is full; 12 line(s) kept in memory "
                       "until it can be written"],
        "stations": [{"station": "00343",
                      "on_air": {"program": "khan-cap", "priority": "emergency",
                                 "since": now.isoformat()},
                      "next": {"program": "vov-thoi-su-toi", "at": "18:00"},
                      "waiting": ["chuong-trinh-009@2021-08-05T17:00"],
                      "errors": [{"at": now.isoformat(),
                                  "reason": "failed: playout error: ffmpeg exited 1"}]}]})
    return pid


# --- the playout daemon, in-process on a fake clock (as tests/test_play_daemon.py) -------

ALERT_TEXT = "Bão số 5 sắp đổ bộ, đề nghị bà con ở trong nhà."


def threaded(corpus: Corpus, daemon, clock, *args: str, before=None, tick: bool = True,
             step: float = 0.01, code: int | None = None) -> str:
    """A command that waits for the daemon (alert, reload) in a thread, while this
    thread ticks the daemon on its fake clock (``before`` runs once the request is in
    the spool)."""
    return while_ticking(daemon, clock, lambda: corpus(*args, code=code), before=before,
                         tick=tick, step=step, what=args)


def playout_schedules(root: Path, t0: datetime) -> Path:
    """Station 00001 and 00004's programs around ``t0``: one on air, one next, one
    emergency that keeps the station busy."""
    (root / "registry").mkdir(parents=True)
    shutil.copy(SAMPLE / "registry" / "units.yaml", root / "registry")

    def program(pid: str, at: datetime, seconds: int, priority: str = "normal") -> str:
        return (f"  {pid}:\n    title: {pid}\n    priority: {priority}\n"
                f"    targets: {{stations: [\"00001\", \"00004\"]}}\n"
                f"    when: {{once: [\"{at:%Y-%m-%d %H:%M:%S}\"]}}\n"
                f"    segments: [{{silence: {seconds}s}}]\n")

    (root / "programs.yaml").write_text(
        "programs:\n" + program("ban-tin-sang", t0 + timedelta(seconds=5), 600)
        + program("ban-tin-trua", t0 + timedelta(hours=2), 900)
        + program("khan-cap", t0 + timedelta(seconds=40), 1200, "emergency"),
        encoding="utf-8")
    return root


def run_playout(corpus: Corpus, tmp_path: Path) -> None:
    """A daemon serving two stations: status while a program airs, alerts on air,
    missed, refused and waiting, a reload refused and one accepted, a second daemon
    refused for a station the first serves, and what its log and daemon log say."""
    from radiocli.home import Home
    from radiocli.play.clock import FakeClock
    from radiocli.play.daemon import Config, Daemon

    t0 = datetime(2030, 1, 1, 10, 0, tzinfo=TZ)
    clock = FakeClock(t0)
    schedules = playout_schedules(tmp_path / "playout", t0)
    i18n.set_language("vi")  # the daemon's own language (its log), as `run --lang vi`
    daemon = Daemon(Config(Home(corpus.home), schedules, stations=["00001", "00004"]),
                    clock=clock)
    daemon.start(threads=False)

    def until(moment: datetime) -> None:
        while clock.now() < moment:
            clock.advance(1)
            daemon.tick()

    try:
        until(t0 + timedelta(seconds=20))
        corpus("status", code=0)
        threaded(corpus, daemon, clock, "alert", "--station", "00001", ALERT_TEXT, code=0)
        until(t0 + timedelta(seconds=50))  # the emergency keeps both stations busy
        threaded(corpus, daemon, clock, "alert", "--station", "00001", "--wait", "0.3",
                 ALERT_TEXT, step=0.001, code=1)  # waiting behind the emergency
        corpus("status", code=0)
        (schedules / "loi.yaml").write_text("programs:\n  x:\n    when: {at: 6h}\n",
                                            encoding="utf-8")
        threaded(corpus, daemon, clock, "reload", code=1)
        (schedules / "loi.yaml").unlink()
        threaded(corpus, daemon, clock, "reload", code=0)
        corpus("status", "--station", "00001", code=0)
        corpus("run", "--station", "00001", "--name", "thu-hai", "--for", "1s", "--sink",
               "null", schedules=schedules, code=1)  # served by the first daemon
        corpus("run", "--for", "1s", "--sink", "null", schedules=schedules,
               code=1)  # a daemon with this name runs
        until(t0 + timedelta(hours=1, minutes=30))
        threaded(corpus, daemon, clock, "alert", "--station", "00004", ALERT_TEXT, code=1,
                 before=lambda: clock.advance(2 * 3600))  # taken two hours late: missed
        threaded(corpus, daemon, clock, "alert", "--all", ALERT_TEXT, code=1,
                 before=lambda: setattr(daemon.desk, "stopping", True))  # refused
        daemon.desk.stopping = False
    finally:
        daemon.stop()
    corpus("logs", "tail", "--station", "00001", "-n", "30", code=0)
    corpus("logs", "tail", "--station", "00004", "-n", "30", code=0)


def simulate_corpus(corpus: Corpus, tmp_path: Path) -> None:
    logs = tmp_path / "mo-phong"
    corpus("simulate", "--from", "02/08/2021", "--to", "03/08/2021", "--station", "00001",
           "--station", "00004", "--fail", "vov-thoi-su-sang:0.5", "--late", "0.3",
           "--offline", "00004:2021-08-03T06:00--2021-08-03T12:00", "--logs", str(logs),
           "--workers", "1", schedules=SAMPLE, code=0)
    corpus("simulate", "--from", "02/08/2021", "--to", "02/08/2021", "--station", "00001",
           "--logs", str(logs), schedules=SAMPLE, code=2)  # the logs exist
    corpus("simulate", "--from", "03/08/2021", "--to", "02/08/2021", "--all",
           schedules=SAMPLE, code=2)
    corpus("simulate", "--from", "02/08/2021", "--to", "02/08/2021", "--station", "00001",
           "--fail", "khong-co", schedules=SAMPLE, code=2)
    corpus("simulate", "--from", "02/08/2021", "--to", "02/08/2021", "--station", "00001",
           "--offline", "00001:30/02/2021", schedules=SAMPLE, code=2)
    corpus("simulate", "--from", "02/08/2021", "--to", "02/08/2021", "--station", "00001",
           "--offline", "00004:02/08/2021", schedules=SAMPLE, code=2)
    corpus("simulate", "--from", "02/08/2025", "--to", "02/08/2025", "--station", "00001",
           schedules=SAMPLE, code=2)  # the unit ceased in 2025


def logs_with_problems(corpus: Corpus, tmp_path: Path, home: Path) -> None:
    """Logs tampered with, emptied, torn, moved, in archives past their limits: verify
    and collect say what is wrong in Vietnamese."""
    import io
    import json
    import tarfile

    bad = tmp_path / "nhat-ky-loi"
    source = sorted((home / "logs" / "00001").glob("*.jsonl"))
    station = bad / "00001"
    station.mkdir(parents=True)
    edited = station / source[0].name
    raw = source[0].read_text(encoding="utf-8").splitlines()
    minute = next(i for i, line in enumerate(raw) if '"minute"' in line)
    data = json.loads(raw[minute])
    data["seconds"] = 61 if data["seconds"] < 60 else 59
    raw[minute] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    raw.insert(3, raw[1])  # a line copied twice
    edited.write_text("\n".join(raw[:-1]) + "\n" + raw[-1][:20], encoding="utf-8")  # torn
    (station / source[1].name).write_bytes(b"")
    reordered = source[2].read_text(encoding="utf-8").splitlines()
    reordered[2], reordered[3] = reordered[3], reordered[2]
    (station / source[2].name).write_text("\n".join(reordered[:-1]) + "\n", encoding="utf-8")
    (bad / "00004").mkdir()
    (bad / "00004" / source[0].name).write_text("\n".join(raw[:2]) + "\n{khong phai json\n",
                                               encoding="utf-8")
    (bad / "ghi-chu.txt").write_text("không phải nhật ký", encoding="utf-8")
    (bad / "00001" / "2021-08-99.jsonl").write_text("", encoding="utf-8")
    corpus("logs", "verify", str(bad), code=1)
    corpus("logs", "verify", str(tmp_path / "khong-co"), code=1)
    archive = tmp_path / "dai-00001.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in source:
            info = tarfile.TarInfo(f"00001/{path.name}")
            payload = path.read_bytes()
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        info = tarfile.TarInfo("../ngoai.jsonl")
        info.size = 0
        tar.addfile(info, io.BytesIO(b""))
    broken = tmp_path / "hong.tar.gz"
    broken.write_bytes(archive.read_bytes()[:200])
    store = tmp_path / "kho"
    corpus("logs", "collect", str(bad), str(archive), str(broken), str(tmp_path / "khong-co"),
           "--into", str(store), schedules=SAMPLE, code=1)
    corpus("logs", "collect", str(archive), "--into", str(store), "--max-unpacked", "1K",
           schedules=SAMPLE, code=1)
    corpus("logs", "collect", str(home / "logs"), "--into", str(store), schedules=SAMPLE,
           code=0)
    corpus("logs", "collect", str(archive), "--into", str(store), "--max-unpacked", "xx",
           schedules=SAMPLE, code=2)


def run_corpus(tmp_path: Path, seen: list[str]) -> list[tuple[str, str]]:
    home = tmp_path / "home"
    corpus = Corpus(CliRunner(), home)
    bad = bad_project(tmp_path)
    tiny = tiny_project(tmp_path)

    for command in every_command():
        corpus(*command, "--help", code=0)
    corpus("--version", code=0)
    # usage errors
    corpus("khong-co-lenh", code=2)
    corpus("plan", "--date", "30/02/2021", code=2)
    corpus("plan", "--date", "xx", code=2)
    corpus("plan", "--days", "0", code=2)
    corpus("plan", "--bogus", code=2)
    corpus("plan", "--station", "99999", schedules=SAMPLE, code=2)
    corpus("plan", "--district", "999", schedules=SAMPLE, code=2)
    corpus("plan", "--date", "2025-08-01", "--district", "001", schedules=SAMPLE, code=2)
    corpus("report", "summary", code=2)
    corpus("report", "summary", "--from", "2021-08-02", "--to", "2021-08-01", code=1)
    corpus("report", "summary", "--from", "2021-08-02", "--to", "2021-08-03", "--store",
           str(tmp_path / "khong-co"), code=1)
    corpus("stations", "list", "--district", "999", schedules=SAMPLE, code=2)
    corpus("stations", "history", "99999", schedules=SAMPLE, code=2)
    corpus("validate", str(tmp_path / "khong-co.yaml"), code=2)
    corpus("plan", schedules=tmp_path / "khong-co", code=1)
    corpus("say", code=2)
    corpus("say", "xin chào", code=2)
    corpus("keys", "generate", code=2)
    corpus("keys", "generate", "--out", str(tmp_path / "keys"), "--role", "district", code=1)
    corpus("approve", "--key", str(tmp_path / "khong-co.key"), str(tiny), code=1)
    corpus("approve", "--key", str(tmp_path / "x.key"), "--valid-to", "sau", str(tiny),
           code=2)
    corpus("verify", str(tmp_path / "khong-co.json"), code=1)
    corpus("normalize", "--station", "99999", "x", schedules=SAMPLE, code=2)
    # what people read when things go right
    corpus("validate", schedules=SAMPLE, code=0)
    corpus("validate", schedules=bad, code=1)
    corpus("plan", "--date", "2021-08-05", "--station", "00343", schedules=SAMPLE, code=0)
    corpus("plan", "--date", "2021-08-05", "--district", "009", schedules=SAMPLE, code=0)
    corpus("stations", "list", "--district", "001", "--on", "2021-08-05", schedules=SAMPLE,
           code=0)
    corpus("stations", "history", "00004", schedules=SAMPLE, code=0)
    corpus("normalize", "--check", "UBND xã có 156.000 hộ, gọi 0912345678, email a@b.vn "
           "QR%$# và ©", code=0)
    corpus("voices", code=0)
    corpus("cache", "info", code=0)
    corpus("say", "Xin chào bà con", "-o", str(tmp_path / "chao.wav"), code=0)
    corpus("render", "--date", "2021-08-05", "--all", schedules=tiny, code=1)
    corpus("cache", "clear", code=0)
    # keys, approval, verification
    corpus("keys", "generate", "--out", str(tmp_path / "keys"), "--name", "thanh-pho",
           "--role", "city", schedules=tiny, code=0)
    (tiny / "ba-dinh.yaml").write_text((tiny / "ba-dinh.yaml").read_text(
        encoding="utf-8").replace("      - play: khong-co-tep.wav\n", ""), encoding="utf-8")
    corpus("approve", "--key", str(tmp_path / "keys" / "thanh-pho.key"), str(tiny), code=0)
    (tiny / "ba-dinh.yaml").write_text((tiny / "ba-dinh.yaml").read_text(
        encoding="utf-8").replace("sáng", "tối"), encoding="utf-8")
    corpus("verify", str(tiny / "approved.json"), "--trust", str(tmp_path / "keys"),
           code=1)
    # the playout side: status with and without a daemon, doctor, run and alert errors
    corpus("status", code=3)
    pid = fake_daemon(home)
    try:
        corpus("status", code=0)
    finally:
        pid.release()
    corpus("doctor", schedules=SAMPLE)
    corpus("doctor", "--sink", "device", "--device", "hw:9,0", schedules=SAMPLE)
    corpus("run", "--for", "xx", schedules=SAMPLE, code=2)
    corpus("run", "--clock", "hôm qua", schedules=SAMPLE, code=2)
    corpus("run", "--clock", "30/02/2021 06:00", schedules=SAMPLE, code=2)
    corpus("run", "--icecast", "ftp://x", schedules=SAMPLE, code=2)
    corpus("alert", code=2)
    corpus("alert", "--station", "00001", "🚨🚨🚨 !!!", code=1)
    corpus("alert", "--station", "00001", "Bão số 5 sắp đổ bộ.", code=3)
    corpus("reload", code=3)
    run_playout(corpus, tmp_path)
    # the simulation: its summary and its errors
    simulate_corpus(corpus, tmp_path)
    # reports on a simulated store, and the logs behind them
    make_store_logs(home)
    corpus("logs", "verify", code=0)
    corpus("logs", "tail", "--station", "00001", "-n", "8", code=0)
    logs_with_problems(corpus, tmp_path, home)
    for kind in ("summary", "compliance"):
        corpus("report", kind, "--from", "2021-08-02", "--to", "2021-08-04", "--district",
               "001", schedules=SAMPLE, code=0)
    corpus("report", "station", "--station", "00004", "--from", "2021-08-02", "--to",
           "2021-08-04", schedules=SAMPLE, code=0)
    corpus("report", "summary", "--from", "2021-08-02", "--to", "2021-08-04", "--xlsx",
           str(tmp_path / "phu-luc.xlsx"), "--html", str(tmp_path / "bao-cao.html"),
           "--docx", str(tmp_path / "bao-cao.docx"), schedules=SAMPLE, code=0)
    return corpus.outputs


class DaemonLog(logging.Handler):
    """What the daemon writes to its log (daemon.log and the stderr of `run`)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_every_message_of_the_corpus_is_vietnamese(tmp_path):
    seen: list[str] = []
    from radiocli.play.jobs import SchedulerWords

    daemon_log = DaemonLog()  # as `radiocli run` sets up its log
    daemon_log.addFilter(SchedulerWords())
    logger = logging.getLogger("radiocli.play")
    scheduler = logging.getLogger("apscheduler")
    level, propagates = logger.level, scheduler.propagate
    logger.addHandler(daemon_log)
    logger.setLevel(logging.INFO)
    scheduler.addHandler(daemon_log)
    i18n.on_missing(seen.append)
    try:
        outputs = run_corpus(tmp_path, seen)
    finally:
        i18n.on_missing(None)
        i18n.set_language("en")
        logger.removeHandler(daemon_log)
        scheduler.removeHandler(daemon_log)
        logger.setLevel(level)
        scheduler.propagate = propagates
    assert len(daemon_log.lines) >= 5, daemon_log.lines
    outputs.append(("daemon.log", "\n".join(daemon_log.lines)))
    allowed = pending()
    used: set[int] = set()

    def covered(text: str, whole: bool) -> bool:
        for part in ((False,) if whole else (False, True)):
            for i, p in enumerate(allowed):
                if (p.text == text) if whole else p.covers(text, part):
                    used.add(i)
                    return True
        return False

    untranslated = sorted({m for m in seen if not covered(m, whole=True)})
    english = []
    for command, output in outputs:
        for line in output.splitlines():
            # a help line is an option and a piece of its wrapped help: each part apart
            pieces = [line, *re.split(r"\s{2,}|\t", line.strip())]
            if reads_as_english(line) and not covered(line, whole=False) and not all(
                    covered(piece, whole=False) for piece in pieces[1:]
                    if reads_as_english(piece)):
                english.append(f"{command}: {line.strip()}")
    catalog = catalog_script()
    po = {catalog.key(m) for m in catalog.read(catalog.po_file("vi")) if m.id and m.string}
    for i, p in enumerate(allowed):  # still untranslated in the code's template
        if (None, p.text) not in po and p.text in {m.id for m in catalog.extract() if m.id}:
            used.add(i)
    stale = [f"{p.module}\t{p.text}" for i, p in enumerate(allowed)
             if i not in used and not p.varies]
    report = []
    if untranslated:
        report += ["looked up without a Vietnamese translation:", *untranslated]
    if english:
        report += ["still English under --lang vi:", *english]
    if stale:
        report += ["tests/i18n_pending.txt lists what is no longer met untranslated "
                   "(remove it):", *stale]
    assert not report, "\n".join(report)

