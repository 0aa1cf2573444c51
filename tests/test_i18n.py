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
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

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
        "log_errors": ["disk full: /var/log"],
        "stations": [{"station": "00343",
                      "on_air": {"program": "khan-cap", "priority": "emergency",
                                 "since": now.isoformat()},
                      "next": {"program": "vov-thoi-su-toi", "at": "18:00"},
                      "waiting": ["chuong-trinh-009@2021-08-05T17:00"],
                      "errors": [{"at": now.isoformat(),
                                  "reason": "failed: playout error: ffmpeg exited 1"}]}]})
    return pid


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
    corpus("run", "--for", "xx", schedules=SAMPLE, code=2)
    corpus("alert", code=2)
    corpus("reload", code=3)
    # reports on a simulated store, and the logs behind them
    make_store_logs(home)
    corpus("logs", "verify", code=0)
    corpus("logs", "tail", "--station", "00001", "-n", "8", code=0)
    for kind in ("summary", "compliance"):
        corpus("report", kind, "--from", "2021-08-02", "--to", "2021-08-04", "--district",
               "001", schedules=SAMPLE, code=0)
    corpus("report", "station", "--station", "00004", "--from", "2021-08-02", "--to",
           "2021-08-04", schedules=SAMPLE, code=0)
    corpus("report", "summary", "--from", "2021-08-02", "--to", "2021-08-04", "--xlsx",
           str(tmp_path / "phu-luc.xlsx"), "--html", str(tmp_path / "bao-cao.html"),
           "--docx", str(tmp_path / "bao-cao.docx"), schedules=SAMPLE, code=0)
    return corpus.outputs


def test_every_message_of_the_corpus_is_vietnamese(tmp_path):
    seen: list[str] = []
    i18n.on_missing(seen.append)
    try:
        outputs = run_corpus(tmp_path, seen)
    finally:
        i18n.on_missing(None)
        i18n.set_language("en")
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

