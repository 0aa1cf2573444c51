#!/usr/bin/env python3
"""Start lateness of the live daemon with real, rendered programs (issue 13.1): 1, 30
and 579 stations starting in the same second, with the ``null``, ``file`` and
``stream`` (a local icecast2 on loopback) sinks. Goal at 579 stations, every sink:
p99 <= 50 ms, max <= 250 ms.

Each case writes a schedule, renders it (``radiocli render --date D --all`` into the
case's home: the daemon finds every program in the cache, as on a station that renders
ahead), then runs ``radiocli run`` as a real process on the machine's clock. 1
station: one program; 30 stations: 30 programs (one per station); 579 stations: 30
programs (one per district) in the same second, then a city program for all 579 (one
job, one feed, 579 outputs) 10 s later, after those ended (each program: the start
chime, a sentence, 1 s of silence; about 5 s).

Two lateness figures per case, both against the scheduled second:

- start line: the ``at`` of each station's ``start`` line in the as-run log;
- first audio: when the station's feed handed its first 100 ms of PCM to the sink's
  outputs (the daemon log's ``first audio`` line; the file sink writes it to the WAV,
  the stream sink to the MP3 encoder whose bytes go to Icecast). ``null`` has no feed.

Reference, measured in the same run right after each case: a minimal script does the
same work at a scheduled instant with nothing else in the way. For the decoding sinks:
it starts the same number of ffmpeg decoders of the same rendered files (a loop of
``Popen``, one reader thread each) and notes each one's first byte; each decoder counts
for as many stations as the daemon's feed of that program. For ``null``: it appends one
JSON start line per station to one file per station. The ratio is the product's p99
over the reference's.

    .venv/bin/python benchmarks/bench_lateness.py [--sink null,file,stream] [--sizes 1,30,579]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RADIOCLI = [sys.executable, "-m", "radiocli"]
FIRST_AUDIO = re.compile(r"first audio of (?P<occ>\S+) at (?P<at>\S+) for (?P<n>\d+) station")
CITY_AFTER = 10  # seconds between the district programs and the city program


def registry() -> dict[str, list[str]]:
    import yaml

    data = yaml.safe_load((ROOT / "schedules/registry/units.yaml").read_text(encoding="utf-8"))
    by_district: dict[str, list[str]] = {}
    for unit in data["units"]:
        by_district.setdefault(str(unit["district"]), []).append(str(unit["code"]))
    return by_district


def program(pid: str, at: datetime, stations: list[str] | None, words: str) -> str:
    targets = ("all" if stations is None else
               "\n      stations: [" + ", ".join(f'"{c}"' for c in stations) + "]")
    return (f"  {pid}:\n    title: {pid}\n    targets: {targets}\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n"
            f"    segments:\n      - chime: start\n      - say: \"{words}\"\n"
            f"      - silence: 1s\n")


@dataclass
class Case:
    n: int
    sink: str
    start_lines: list[float] = field(default_factory=list)  # ms, one per station
    city: list[float] = field(default_factory=list)  # start lines of the city program
    first_audio: list[float] = field(default_factory=list)  # ms, one per station
    feeds: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # occ -> slot, n
    reference: list[float] = field(default_factory=list)  # ms, weighted like the product
    files: dict[str, Path] = field(default_factory=dict)  # occ -> rendered audio
    seconds: float = 0.0


def write_schedule(n: int, folder: Path, at: datetime) -> list[str]:
    """The case's schedule; returns the stations to run."""
    by_district = registry()
    every = [c for codes in by_district.values() for c in codes]
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "schedules/registry/units.yaml", folder / "registry")
    shutil.copytree(ROOT / "audio", folder.parent / "audio", dirs_exist_ok=True)
    (folder / "radiocli.yaml").write_text("settings:\n  audio: ../audio\n", encoding="utf-8")
    text = "programs:\n"
    if n == 1:
        chosen = every[:1]
        text += program("p0", at, chosen, "Thông báo của xã số 0.")
    elif n == 30:
        chosen = every[:30]
        text += "".join(program(f"p{i}", at, [c], f"Thông báo của xã số {i}.")
                        for i, c in enumerate(chosen))
    else:
        chosen = every
        text += "".join(program(f"d{d}", at, codes, f"Thông báo của huyện {int(d)}.")
                        for d, codes in by_district.items())
        text += program("city", at + timedelta(seconds=CITY_AFTER), None,
                        "Thông báo của thành phố.")
    (folder / "programs.yaml").write_text(text, encoding="utf-8")
    return chosen


def rendered_files(home: Path, sched: Path) -> dict[str, Path]:
    """program id -> its rendered audio (one part each)."""
    sys.path.insert(0, str(ROOT))
    from radiocli.render.programs import program_playlist
    from radiocli.schedule.load import read

    schedule, _problems = read(sched)
    out = {}
    for pid, prog in schedule.programs.items():
        playlist = program_playlist(home / "cache", schedule, prog)
        assert playlist is not None, f"{pid} is not rendered"
        (part,) = [p for p in playlist.parts if p.path is not None]
        out[pid] = part.path
    return out


def run_case(n: int, sink: str, tmp: Path, icecast: str | None) -> Case:
    case = Case(n, sink)
    t0 = time.perf_counter()
    sched, home = tmp / f"{sink}-{n}" / "schedules", tmp / f"{sink}-{n}" / "home"
    # render for the day the programs will air (the slot is set once rendering is done)
    day = datetime.now(TZ).date()
    write_schedule(n, sched, datetime.combine(day, datetime.max.time(), TZ).replace(
        microsecond=0) - timedelta(seconds=10))
    done = subprocess.run([*RADIOCLI, "--home", str(home), "-s", str(sched), "render",
                           "--date", day.isoformat(), "--all"], capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"render failed: {done.stdout[-500:]}{done.stderr[-2000:]}")
    at = (datetime.now(TZ) + timedelta(seconds=10 if n == 579 else 6)).replace(microsecond=0)
    if at.date() != day:
        raise SystemExit("the day changed while rendering: run the benchmark again")
    chosen = write_schedule(n, sched, at)
    case.files = {f"{pid}@{(at + timedelta(seconds=CITY_AFTER if pid == 'city' else 0)):%Y-%m-%dT%H:%M}": path
                  for pid, path in rendered_files(home, sched).items()}
    end = at + timedelta(seconds=CITY_AFTER + 8 if n == 579 else 8)
    argv = [*RADIOCLI, "--home", str(home), "-s", str(sched), "run", "--sink", sink,
            "--until", f"{end:%H:%M:%S}"]
    if icecast and sink == "stream":
        argv += ["--icecast", icecast]
    argv += ["--all"] if n == 579 else [x for c in chosen for x in ("--station", c)]
    subprocess.run(argv, check=True, stderr=subprocess.DEVNULL, timeout=180)
    slots: dict[str, datetime] = {}
    for path in (home / "logs").glob("*/*.jsonl"):
        for raw in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(raw)
            if rec.get("event") == "start":
                scheduled = datetime.fromisoformat(rec["scheduled"])
                slots[rec["occurrence"]] = scheduled
                late = (datetime.fromisoformat(rec["at"]) - scheduled).total_seconds() * 1000
                case.start_lines.append(late)
                if rec["program"] == "city":
                    case.city.append(late)
            elif rec.get("event") == "failed":
                print(f"   failed: {rec['station']} {rec['reason']}", file=sys.stderr)
    log = (home / "run" / "main" / "daemon.log").read_text(encoding="utf-8")
    for match in FIRST_AUDIO.finditer(log):
        occ, count = match["occ"], int(match["n"])
        slot = slots[occ]
        late = (datetime.fromisoformat(match["at"]) - slot).total_seconds() * 1000
        case.first_audio += [late] * count
        case.feeds[occ] = (slot, count)
    case.seconds = time.perf_counter() - t0
    return case


# --- the references --------------------------------------------------------------------


def wait_until(instant: float) -> None:
    while (left := instant - time.time()) > 0:
        time.sleep(min(left, 0.05))


def reference_feeds(case: Case) -> list[float]:
    """Start as many ffmpeg decoders as the daemon's feeds, of the same files, at one
    instant per slot; each first byte counts for the feed's stations."""
    from radiocli.play.feed import AirPart, decoder_argv

    out: list[float] = []
    by_slot: dict[datetime, list[tuple[str, int]]] = {}
    for occ, (slot, count) in case.feeds.items():
        by_slot.setdefault(slot, []).append((occ, count))
    for group in by_slot.values():
        instant = time.time() + 1.0
        instant = float(int(instant) + 1)
        firsts: list[float | None] = [None] * len(group)
        procs = []

        def read(i: int, proc: subprocess.Popen[bytes],
                 firsts: list[float | None] = firsts) -> None:
            assert proc.stdout is not None
            if proc.stdout.read(4410):
                firsts[i] = time.time()
            proc.stdout.read()

        wait_until(instant)
        threads = []
        for i, (occ, _count) in enumerate(group):
            part = AirPart("audio", 5.0, path=case.files[occ])
            proc = subprocess.Popen(decoder_argv(part, 0.0, 5.0), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            thread = threading.Thread(target=read, args=(i, proc))
            thread.start()
            threads.append(thread)
            procs.append(proc)
        for thread in threads:
            thread.join()
        for proc in procs:
            proc.wait()
        for (_occ, count), first in zip(group, firsts, strict=True):
            assert first is not None
            out += [(first - instant) * 1000] * count
    return out


def reference_direct(case: Case, tmp: Path, icecast: str | None) -> list[float]:
    """The sink's own work by a plain loop, at one instant per slot: read each program's
    first 100 ms from its WAV and hand it to one output per station (file: a new WAV
    each; stream: one MP3 encoder per program, one Icecast source connection per
    station opened from 4 threads); a station counts when its program's chunk reached
    all of that program's outputs."""
    import wave
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    from radiocli.play.outputs import Icecast, SourceConnection, alsa_argv

    out: list[float] = []
    folder = tmp / f"ref-direct-{case.sink}-{case.n}"
    by_slot: dict[datetime, list[tuple[str, int]]] = {}
    for occ, (slot, count) in case.feeds.items():
        by_slot.setdefault(slot, []).append((occ, count))
    server = None
    if icecast:
        url = urlsplit(icecast)
        server = Icecast(host=url.hostname or "", port=url.port or 8000,
                         password=url.password or "", mount_prefix="/ref")
    for round_, group in enumerate(by_slot.values()):
        instant = float(int(time.time()) + 2)
        wait_until(instant)
        cleanup = []
        for occ, count in group:
            with wave.open(str(case.files[occ]), "rb") as w:
                chunk = w.readframes(2205)
            if case.sink == "file":
                for i in range(count):
                    path = folder / f"{round_}-{occ[:8]}-{i}" / "x.wav"
                    path.parent.mkdir(parents=True)
                    with wave.open(str(path), "wb") as wav:
                        wav.setnchannels(1)
                        wav.setsampwidth(2)
                        wav.setframerate(22050)
                        wav.writeframesraw(chunk)
            else:
                assert server is not None
                argv = [*alsa_argv("x")[:-3], "-c:a", "libmp3lame", "-b:a", "48k", "-f",
                        "mp3", "pipe:1"]
                encoder = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                           stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                with ThreadPoolExecutor(4) as pool:
                    conns = list(pool.map(
                        lambda i, prefix=f"{round_}-{occ[:6]}": SourceConnection(
                            server, f"{prefix}-{i}", "ref"), range(count)))
                assert encoder.stdin is not None
                encoder.stdin.write(chunk)
                encoder.stdin.flush()
                cleanup.append((encoder, conns))
            out += [(time.time() - instant) * 1000] * count
        for encoder, conns in cleanup:
            for conn in conns:
                conn.close()
            assert encoder.stdin is not None
            encoder.stdin.close()
            encoder.wait()
    return out


def reference_lines(n: int, tmp: Path) -> list[float]:
    """Append one JSON start line per station, one file each, at one instant."""
    folder = tmp / f"ref-{n}"
    folder.mkdir()
    files = [open(folder / f"{i:05d}.jsonl", "a", encoding="utf-8") for i in range(n)]  # noqa: SIM115
    instant = float(int(time.time()) + 2)
    wait_until(instant)
    out = []
    for i, fh in enumerate(files):
        now = time.time()
        fh.write(json.dumps({"station": f"{i:05d}", "event": "start", "at": now,
                             "scheduled": instant}) + "\n")
        fh.flush()
        out.append((now - instant) * 1000)
    for fh in files:
        fh.close()
    return out


# --- icecast ---------------------------------------------------------------------------


def start_icecast(tmp: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    binary = shutil.which("icecast2") or "/usr/bin/icecast2"
    if not os.path.exists(binary):
        raise SystemExit("icecast2 is not installed: apt-get install icecast2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="radiocli-bench-icecast-"))
    folder.chmod(0o777)
    owner = ("<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
             if os.geteuid() == 0 else "")
    (folder / "icecast.xml").write_text(f"""<icecast>
  <limits><clients>3000</clients><sources>1300</sources><source-timeout>10</source-timeout>
    <queue-size>524288</queue-size><burst-size>0</burst-size></limits>
  <authentication><source-password>pw</source-password>
    <admin-user>admin</admin-user><admin-password>apw</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths><basedir>{folder}</basedir><logdir>{folder}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>1</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")
    proc = subprocess.Popen([binary, "-c", str(folder / "icecast.xml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("icecast2 did not start")
    return proc, f"icecast://source:pw@127.0.0.1:{port}/", folder


# --- printing ---------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def figures(values: list[float]) -> str:
    if not values:
        return "             (none)              "
    return (f"p50 {statistics.median(values):6.1f}  p99 {pct(values, 99):6.1f}  "
            f"max {max(values):6.1f}")


def ratio(mine: list[float], ref: list[float]) -> str:
    if not mine or not ref:
        return "-"
    return f"{pct(mine, 99) / max(pct(ref, 99), 1.0):.1f}x"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sink", default="null,file,stream")
    parser.add_argument("--sizes", default="1,30,579")
    args = parser.parse_args()
    sinks = args.sink.split(",")
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="radiocli-bench-late-"))
    icecast = None
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}, {os.cpu_count()} cores, {date.today()}")
    print("lateness in ms after the scheduled second; goal at 579: p99 <= 50, max <= 250")
    try:
        if "stream" in sinks:
            icecast = start_icecast(tmp)
        for sink in sinks:
            for n in sizes:
                case = run_case(n, sink, tmp, icecast[1] if icecast else None)
                print(f"{sink:6s} {n:4d} stations, {len(case.feeds) or '-':>2} feeds "
                      f"[{case.seconds:3.0f} s]")
                print(f"   start line   {figures(case.start_lines)}")
                if case.city:
                    print(f"     of which the city program (one job, {len(case.city)} "
                          f"stations): {figures(case.city)}")
                if sink == "null":
                    ref = reference_lines(n, tmp)
                    print(f"   reference    {figures(ref)}   (a plain loop writing the "
                          "same start lines)")
                    print(f"   ratio p99 start line / reference: "
                          f"{ratio(case.start_lines, ref)}")
                else:
                    direct = reference_direct(case, tmp, icecast[1] if icecast else None)
                    feeds = reference_feeds(case)
                    print(f"   first audio  {figures(case.first_audio)}")
                    print(f"   reference    {figures(direct)}   (a plain loop: first "
                          "100 ms of each WAV to one output per station)")
                    print(f"   ffmpeg ref.  {figures(feeds)}   (a plain loop starting "
                          "one ffmpeg decoder per program, first byte)")
                    print(f"   ratio p99 first audio / reference: "
                          f"{ratio(case.first_audio, direct)}; / ffmpeg ref.: "
                          f"{ratio(case.first_audio, feeds)}")
                sys.stdout.flush()
    finally:
        if icecast is not None:
            icecast[0].terminate()
            icecast[0].wait(timeout=10)
            shutil.rmtree(icecast[2], ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
