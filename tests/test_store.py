"""The collect store: all or nothing under kill -9, one writer at a time, readers that
keep their generation, small parts merged, a format 1 store upgraded, and the same
figures read by other engines (pyarrow, DuckDB's own hive partitioning)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import select
import shutil
import subprocess
import sys
import types
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from radiocli.aslog.collect import collect
from radiocli.aslog.publish import StoreWriter
from radiocli.aslog.store import Store, StoreBusy
from radiocli.cli import cli
from radiocli.schedule.load import read

REPO = Path(__file__).resolve().parent.parent
SCHEDULES = REPO / "schedules"
PERIOD = ("2021-08-02", "2021-08-09")


def load_bench(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chaos_module() -> types.ModuleType:
    return load_bench("chaos_collect")


@pytest.fixture(scope="module")
def staged(tmp_path_factory, chaos_module) -> tuple[Path, Path]:
    """(early, full): early copies of 16 stations' days, and the full logs of 24."""
    work = tmp_path_factory.mktemp("staged")
    chaos_module.synthetic_logs(work / "logs", 24, 8)
    return chaos_module.stage(work / "logs", work, 24)


@pytest.fixture(scope="module")
def registry():
    return read(SCHEDULES)[0].registry


def totals(store: Path) -> tuple[int, int, int]:
    """(sessions, seconds, stations) of `report summary` over the store."""
    result = CliRunner().invoke(cli, ["-s", str(SCHEDULES), "report", "summary", "--from",
                                      PERIOD[0], "--to", PERIOD[1], "--store", str(store),
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["sessions"], data["seconds"], data["stations"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory, staged, registry) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(totals after the early copies, totals after the full logs) of a clean store."""
    early, full = staged
    store = tmp_path_factory.mktemp("clean") / "store"
    collect([early], store, registry)
    before = totals(store)
    collect([full], store, registry)
    return before, totals(store)


# --- all or nothing (issue 11, item 1) -----------------------------------------------------

CHILD = r"""
import os, sys
from pathlib import Path
from radiocli.aslog import collect, parts, publish
from radiocli.schedule.load import read

point, source, target, schedules = sys.argv[1:5]

def die(*args, **kwargs):
    os._exit(9)

original = publish.StoreWriter.publish

def dying_publish(self, today=None):
    if point == "publish":
        die()
    if point == "before-commit":
        publish.sync_filesystem = die
    if point == "after-commit":
        publish.replace_symlink = die
    if point == "cleanup":
        self._empty_trash = die
    return original(self, today)

publish.StoreWriter.publish = dying_publish
if point == "round":
    publish.StoreWriter.place = die  # a round's files half moved into place
if point == "part":
    parts.Batch.write = die
if point == "rewrite":
    parts.rewrite = die
collect.collect([Path(source)], Path(target), read(Path(schedules))[0].registry)
os._exit(0)
"""

# where the collect dies -> what a report sees until the next collect
POINTS = {
    "round": "before", "part": "before", "publish": "before", "rewrite": "before",
    "before-commit": "before", "after-commit": "after", "cleanup": "after",
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_collect_killed_anywhere_leaves_the_store_as_it_was_or_as_it_will_be(
        tmp_path, point, staged, clean, registry, chaos_module):
    early, full = staged
    before, after = clean
    store = tmp_path / "store"
    collect([early], store, registry)
    assert totals(store) == before
    child = subprocess.run([sys.executable, "-c", CHILD, point, str(full), str(store),
                            str(SCHEDULES)], capture_output=True, text=True)
    assert child.returncode == 9, child.stderr
    # readers see one published state, whole: the one before, or the one after
    assert totals(store) == {"before": before, "after": after}[POINTS[point]]
    # the next collect finishes the work and removes what the dead one left
    collect([full], store, registry)
    assert totals(store) == after
    assert chaos_module.leftovers(store) == []


def test_kill_9_three_times_then_the_report_equals_a_clean_collect(tmp_path, chaos_module):
    logs = tmp_path / "logs"
    chaos_module.synthetic_logs(logs, 30, 6)
    result = chaos_module.chaos(tmp_path, logs, stations=30, kills=3, seed=5,
                                period=("2021-08-02", "2021-08-07"), log=False)
    print(result.report())
    assert result.kills + result.finished_before_kill == 6  # each kill, then one in recovery
    assert not result.between, result.between
    assert result.final == result.clean and result.healed == result.trials == 3
    assert result.clean != result.before
    assert result.leftovers == []


# --- one writer at a time (issue 11, item 2) --------------------------------------------

HOLD = r"""
import sys
from radiocli.aslog.publish import StoreWriter
writer = StoreWriter(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
writer.close()
"""


def radiocli(*args: str) -> list[str]:
    return [sys.executable, "-m", "radiocli", "-s", str(SCHEDULES), *args]


def read_line(stream, timeout: float = 60.0) -> str:
    ready, _w, _x = select.select([stream], [], [], timeout)
    assert ready, "no line within the timeout"
    return stream.readline()


def test_a_second_collect_waits_for_the_first_or_refuses(tmp_path, staged, clean):
    early, full = staged
    store = tmp_path / "store"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(holder.stdout) == "locked\n"
        refused = subprocess.run(radiocli("logs", "collect", str(early), "--into", str(store),
                                          "--no-wait"), capture_output=True, text=True)
        assert refused.returncode == 1
        assert "another collect" in refused.stderr and f"process {holder.pid}" in refused.stderr
        waiting = subprocess.Popen(radiocli("logs", "collect", str(early), "--into",
                                            str(store)), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        line = read_line(waiting.stderr)
        assert "waiting for it to finish" in line
        assert waiting.poll() is None  # still waiting
        holder.stdin.write("go\n")
        holder.stdin.flush()
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        assert "added" in out
    finally:
        holder.kill()
        holder.wait()
    assert totals(store) == clean[0]


def test_two_collects_at_once_leave_the_store_whole(tmp_path, staged, clean, chaos_module):
    early, full = staged
    store = tmp_path / "store"
    first = subprocess.Popen(radiocli("logs", "collect", str(early), "--into", str(store)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(radiocli("logs", "collect", str(full), "--into", str(store)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    # in either order the result is the full logs: early copies are prefixes of them
    assert totals(store) == clean[1]
    assert chaos_module.leftovers(store) == []


def test_the_lock_is_refused_in_process_too(tmp_path):
    with StoreWriter(tmp_path / "store"):
        with pytest.raises(StoreBusy, match="another collect"):
            StoreWriter(tmp_path / "store", wait=False)


# --- readers ----------------------------------------------------------------------------


def test_a_reader_keeps_its_generation_while_collects_publish_new_ones(
        tmp_path, staged, clean, registry, chaos_module):
    early, full = staged
    store = tmp_path / "store"
    collect([early], store, registry)
    reader = Store(store)
    files = reader.part_files("minutes")
    collect([full], store, registry)  # generation 2
    chaos_module.synthetic_logs(tmp_path / "more", 3, 1, first=date(2021, 8, 20))
    collect([tmp_path / "more"], store, registry)  # generation 3: 1 would go, but is read
    assert Store(store).generation == 3
    assert all(Path(f).exists() for f in files)
    con = duckdb.connect()
    reader.views(con)
    seconds = con.execute("SELECT sum(seconds) FROM minutes").fetchall()[0][0]
    assert seconds == clean[0][1]
    reader.close()
    collect([full], store, registry)  # now the old generation may go
    assert not any(Path(f).exists() for f in files)


def test_small_parts_are_merged(tmp_path, staged, clean, registry):
    _early, full = staged
    store = tmp_path / "store"
    for station in sorted(full.iterdir()):  # one collect per station: many small parts
        collect([station], store, registry)
    reader = Store(store)
    assert len(reader.part_files("minutes")) < 4
    assert totals(store) == clean[1]


# --- other engines read the same figures (issue 11, item 7) -----------------------------


def test_other_engines_read_codes_as_strings_and_the_same_totals(tmp_path, staged, clean,
                                                                 registry, monkeypatch):
    import pyarrow.dataset as ds

    from radiocli.aslog import collect as collect_module

    early, full = staged
    store = tmp_path / "store"
    monkeypatch.setattr(collect_module, "ROUND_FILES", 16)  # many parts: merged, rewritten
    collect([early], store, registry)
    collect([full], store, registry)
    generation = Path(os.path.realpath(store / "current"))
    assert sorted(p.name for p in generation.rglob("*.parquet")) == sorted(
        Path(f).name for t in ("minutes", "events", "days") for f in Store(store).part_files(t))
    sessions, seconds, stations = clean[1]
    # pyarrow, reading the folders as a dataset (with hive discovery on)
    minutes = ds.dataset(store / "minutes", format="parquet", partitioning="hive").to_table()
    events = ds.dataset(store / "events", format="parquet", partitioning="hive").to_table()
    assert str(minutes.schema.field("station").type) == "string"
    assert str(minutes.schema.field("district").type) == "string"
    assert sum(minutes.column("seconds").to_pylist()) == seconds
    assert events.column("event").to_pylist().count("start") == sessions
    assert len(set(minutes.column("station").to_pylist())) == stations
    assert set(minutes.column("district").to_pylist()) == {"001", "002"}
    # the days files add the lines up per station and day, each day once
    days = ds.dataset(store / "days", format="parquet", partitioning="hive").to_table()
    assert sum(days.column("seconds").to_pylist()) == seconds
    assert sum(days.column("sessions").to_pylist()) == sessions
    assert sum(days.column("minute_lines").to_pylist()) == minutes.num_rows
    assert sum(days.column("event_lines").to_pylist()) == events.num_rows
    keys = list(zip(days.column("station").to_pylist(), days.column("day").to_pylist(),
                    strict=True))
    assert len(keys) == len(set(keys)) == len(set(zip(
        minutes.column("station").to_pylist(), minutes.column("day").to_pylist(), strict=True
    )) | set(zip(events.column("station").to_pylist(), events.column("day").to_pylist(),
                 strict=True)))
    # DuckDB with its default hive partitioning (types guessed from folder names)
    con = duckdb.connect()
    m = f"read_parquet('{store}/minutes/*.parquet')"
    e = f"read_parquet('{store}/events/*.parquet')"
    assert con.execute(f"SELECT sum(seconds), count(DISTINCT station) FROM {m}").fetchall() \
        == [(seconds, stations)]
    assert con.execute(f"SELECT count(*) FROM {e} WHERE event = 'start'").fetchall() == \
        [(sessions,)]
    assert con.execute(f"SELECT DISTINCT typeof(district), typeof(station) FROM {m}"
                       ).fetchall() == [("VARCHAR", "VARCHAR")]
    assert sorted(r[0] for r in con.execute(f"SELECT DISTINCT district FROM {m}").fetchall()) \
        == ["001", "002"]


# --- a store of format 1 ------------------------------------------------------------------


def test_a_format_1_store_is_upgraded_by_the_next_collect(tmp_path, staged, clean, registry):
    early, full = staged
    store = tmp_path / "store"
    # what format 1 wrote: raw/district=/station=/date=.jsonl, batches, catalog.json
    for path in sorted(full.rglob("*.jsonl")):
        target = store / "raw" / "district=001" / f"station={path.parent.name}" / \
            f"date={path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    (store / "minutes" / "district=001").mkdir(parents=True)
    (store / "catalog.json").write_text(json.dumps({"format": 1, "files": {}}))
    (store / "conflicts" / "station=00001").mkdir(parents=True)
    (store / "conflicts" / "station=00001" / "date=2021-08-02.jsonl.1").write_text("x\n")
    with pytest.raises(Exception, match="older radiocli"):
        Store(store)
    result = collect([early], store, registry)
    assert any(n.code == "upgraded" for n in result.notes)
    assert totals(store) == clean[1]
    assert not (store / "catalog.json").exists()
    assert not (store / "format-1" / "raw").exists()
    assert (store / "format-1" / "conflicts" / "station=00001").exists()  # kept for people


def test_gaps_are_per_station(tmp_path, staged, registry):
    _early, full = staged
    logs = tmp_path / "logs"
    shutil.copytree(full, logs)
    station = sorted(logs.iterdir())[0]
    (station / "2021-08-04.jsonl").unlink()
    (station / "2021-08-05.jsonl").unlink()
    result = collect([logs], tmp_path / "store", registry)
    assert result.gaps == {station.name: ["2021-08-04", "2021-08-05"]}


def test_store_api_for_readers(tmp_path, staged, registry):
    _early, full = staged
    store = tmp_path / "store"
    assert not Store(store).has_data()
    collect([full], store, registry)
    reader = Store(store)
    assert reader.has_data()
    logs = list(reader.logs(date(2021, 8, 3), date(2021, 8, 3)))
    assert len(logs) == 24 and all(e["sealed"] for e in logs)
    assert len(reader.files) == 24 * 8
    assert reader.catalog["rejected"] == [] and reader.catalog["conflicts"] == []


def test_the_national_benchmark_runs_in_a_small_form(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_national.py"),
                          "--units", "40", "--days", "3", "--work", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    print(out.stdout)
    assert re.search(r"collect the month +120 files", out.stdout)
    assert re.search(r"collect one more day +40 files", out.stdout)
    reader = Store(tmp_path / "store")
    lines = sum(e["minutes"] for e in reader.logs())
    con = duckdb.connect()
    reader.views(con)
    # 195 minutes on air per station and day, over 40 stations and 4 days
    assert con.execute("SELECT count(*), sum(seconds) FROM minutes").fetchall() == [
        (lines, 40 * 4 * 195 * 60)]
