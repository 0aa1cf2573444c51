"""The collect store: logs collected from stations, set apart when bad, and their
columnar copy, published all or nothing (docs/store.md).

    STORE/catalog.sqlite                  what is where: the one source of truth
    STORE/current -> generations/<n>      the published generation (a symlink)
    STORE/minutes -> current/minutes      what reports and other engines read
    STORE/events  -> current/events
    STORE/days    -> current/days
    STORE/generations/<n>/minutes/<YYYY-MM>-<store>-<part>.parquet   one row per minute line
    STORE/generations/<n>/events/<YYYY-MM>-<store>-<part>.parquet    one row per event line
    STORE/generations/<n>/days/<YYYY-MM>-<store>-<part>.parquet      one row per station-day
    STORE/raw/<district>/<station>/<YYYY-MM-DD>.jsonl    the logs, byte for byte
    STORE/<kind>/<station>/<YYYY-MM-DD>.<sha12>.jsonl    copies set apart (quarantine,
                                                         rejected, duplicates, conflicts,
                                                         unknown)

A published file is never modified. A collect writes new files (a later copy of an
unsealed day is ``<YYYY-MM-DD>.v<k>.jsonl``; Parquet parts that lose rows are written
again as new parts; a new generation folder holds hard links to the parts that stay),
makes them durable with one ``syncfs``, and then commits the catalog: that SQLite
transaction, which names the new generation, is the one atomic step. Afterwards
``current`` is pointed at the new generation (a symlink renamed into place) and what
is no longer published is removed. A collect that dies leaves the catalog as it was;
the next one removes what the dead one wrote (listed in ``.pending`` before it was
written; ``.incoming/``; generations the catalog does not name) and does the work again.

Readers (:class:`Store`) see the generation the catalog named when they opened it, and
hold a shared lock on it so that a later collect does not remove it under them. One
writer at a time (:class:`radiocli.aslog.publish.StoreWriter`) holds ``.lock``.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from radiocli.errors import LogError
from radiocli.i18n import _

CATALOG = "catalog.sqlite"
FORMAT = 2
LEGACY_CATALOG = "catalog.json"  # format 1: one JSON catalog, hive-partitioned batches
LEGACY_FOLDER = "format-1"
LOCK = ".lock"
PENDING = ".pending"
INCOMING = ".incoming"
READERS = ".readers"
TABLES = ("minutes", "events")  # the lines, one row each
DAYS = "days"  # one row per station and day, made from a part's two files (DAYS_SQL)
FILES = (*TABLES, DAYS)  # the files of a part, in this order
ASIDE = {  # kind -> folder
    "quarantined": "quarantine",
    "rejected": "rejected",
    "duplicate": "duplicates",
    "conflict": "conflicts",
    "unknown": "unknown",
}
NOT_SOURCES = frozenset(
    {"generations", "current", "minutes", "events", "days", "quarantine", "rejected",
     "duplicates", "conflicts", LEGACY_FOLDER}
)  # folders of a store that are not logs to collect (raw/ and unknown/ are)
PART_TARGET = 64 << 20  # parts smaller than this are merged, once a month has several
MERGE_AT = 4  # ... this many small parts

MINUTE_COLUMNS = (
    "station VARCHAR, day DATE, minute TIMESTAMP, program VARCHAR, occurrence VARCHAR, "
    "segment INTEGER, priority VARCHAR, seconds INTEGER"
)
# What a part's days file holds: its minute and event lines added up per station and day
# (sessions: 'start' lines; seals: 'sealed' lines; sealed_lines: the largest 'lines' a
# sealed line counts). {minutes} and {events}: the part's two files, or the views.
DAYS_SQL = """
WITH e AS (
  SELECT station, day, any_value(district) AS district, count(*) AS event_lines,
         count(*) FILTER (WHERE event = 'start') AS sessions,
         count(*) FILTER (WHERE event = 'sealed') AS seals,
         max(lines) FILTER (WHERE event = 'sealed') AS sealed_lines
  FROM {events} GROUP BY station, day),
m AS (
  SELECT station, day, any_value(district) AS district, count(*) AS minute_lines,
         sum(seconds) AS seconds
  FROM {minutes} GROUP BY station, day)
SELECT coalesce(e.station, m.station) AS station, coalesce(e.day, m.day) AS day,
       coalesce(e.district, m.district) AS district,
       CAST(coalesce(m.minute_lines, 0) AS BIGINT) AS minute_lines,
       CAST(coalesce(m.seconds, 0) AS BIGINT) AS seconds,
       CAST(coalesce(e.event_lines, 0) AS BIGINT) AS event_lines,
       CAST(coalesce(e.sessions, 0) AS BIGINT) AS sessions,
       CAST(coalesce(e.seals, 0) AS BIGINT) AS seals,
       CAST(e.sealed_lines AS INTEGER) AS sealed_lines
FROM e FULL OUTER JOIN m ON e.station = m.station AND e.day = m.day
ORDER BY station, day
"""
EVENT_COLUMNS = (
    'station VARCHAR, day DATE, event VARCHAR, "at" TIMESTAMP, scheduled TIMESTAMP, '
    "program VARCHAR, occurrence VARCHAR, priority VARCHAR, reason VARCHAR, lines INTEGER"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
    station TEXT NOT NULL, day TEXT NOT NULL, district TEXT NOT NULL,
    sha256 BLOB NOT NULL, bytes INTEGER NOT NULL, lines INTEGER NOT NULL,
    minutes INTEGER NOT NULL, events INTEGER NOT NULL, sealed INTEGER NOT NULL,
    torn INTEGER NOT NULL, version INTEGER NOT NULL, part INTEGER NOT NULL,
    source_folder INTEGER NOT NULL, source_name TEXT NOT NULL, collected INTEGER NOT NULL,
    PRIMARY KEY (station, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_part ON logs (part);
CREATE INDEX IF NOT EXISTS logs_by_day ON logs (day, station, sealed);
CREATE TABLE IF NOT EXISTS parts (
    id INTEGER PRIMARY KEY, month TEXT NOT NULL, minutes INTEGER NOT NULL,
    events INTEGER NOT NULL, bytes INTEGER NOT NULL, generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aside (
    kind TEXT NOT NULL, station TEXT NOT NULL, day TEXT NOT NULL, sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL, path TEXT NOT NULL, source TEXT NOT NULL, code TEXT NOT NULL,
    message TEXT NOT NULL, collected TEXT NOT NULL,
    PRIMARY KEY (kind, station, day, sha256)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aside_day ON aside (day);
CREATE TABLE IF NOT EXISTS folders (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS seen (
    folder INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, ctime_ns INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (folder, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trash (path TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listings (
    folder INTEGER PRIMARY KEY, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    files INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS watched (
    folder INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    PRIMARY KEY (folder, name)) WITHOUT ROWID;
"""


# a log file as a folder was listed: name, station, day, size, mtime_ns, inode, ctime_ns
Listed = tuple[str, str, str, int, int, int, int]


@dataclass(frozen=True)
class Listing:
    """A folder of logs as a collect last listed it: the folder's own ``ctime_ns`` (its
    status change time: a file added, removed or renamed changes it, and so does setting
    the folder's mtime back) and ``inode``, how many logs it held, and ``watch``: those
    whose day was not collected sealed, name -> (size, mtime_ns, inode, ctime_ns). A day
    collected sealed keeps its first copy whatever later happens to the file, so only
    watched files can still change what is counted."""

    ctime_ns: int
    inode: int
    files: int
    watch: dict[str, tuple[int, int, int, int]]


class StoreBusy(LogError):
    """Another collect is writing the store."""


def connect_catalog(path: Path, *, write: bool) -> sqlite3.Connection:
    try:
        if write:
            db = sqlite3.connect(path, isolation_level=None, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            return db
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                 isolation_level=None, timeout=60)
            db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
            return db
        except sqlite3.OperationalError:  # a read-only copy of a store
            return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                   isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise LogError(_("{path}: the store's catalog cannot be read ({error}); move the "
                         "store aside and collect the logs again").format(path=path, error=exc)
                       ) from exc


def meta_value(db: sqlite3.Connection, key: str, default: str = "") -> str:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # a catalog being created
        return default
    return row[0] if row else default


def raw_path(district: str, station: str, day: str, version: int) -> str:
    """Where a collected log is, relative to the store (a later copy of an unsealed day
    is a new file: the published one is never changed)."""
    name = f"{day}.jsonl" if version <= 1 else f"{day}.v{version}.jsonl"
    return f"raw/{district or 'none'}/{station}/{name}"


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def origin_text(folder: str, name: str) -> str:
    """Where a file came from: ``<folder>/<name>``, or ``<archive>:<member>``."""
    if folder.endswith(":"):
        return folder + name
    return f"{folder}/{name}"


def generation_dir(root: Path, generation: int) -> Path:
    return root / "generations" / f"{generation:06d}"


def part_name(store_id: str, month: str, part: int) -> str:
    """``<YYYY-MM>-<store>-<part>.parquet``: the month for people, the store's id so that
    the parts of several stores can sit in one folder (a national union)."""
    return f"{month}-{store_id}-{part:08d}.parquet"


# --- readers ----------------------------------------------------------------------------


class Store:
    """A store as readers see it: the published generation, and the catalog."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.generation = 0
        self.store_id = ""
        self._db: sqlite3.Connection | None = None
        self._hold: int | None = None
        self._files: dict[str, dict[str, Any]] | None = None
        self._catalog: dict[str, Any] | None = None
        path = self.root / CATALOG
        if not path.exists():
            if (self.root / LEGACY_CATALOG).exists():
                raise LogError(
                    _("{store}: this store was written by an older radiocli (format 1); "
                      "upgrade it with: radiocli logs collect <logs> --into {store}").format(
                        store=self.root)
                )
            return
        self._db = connect_catalog(path, write=False)
        for _attempt in range(20):
            # one read transaction from here to close(): the catalog as it was when the
            # generation was read, whatever collects publish meanwhile
            self._db.execute("BEGIN")
            self.generation = int(meta_value(self._db, "generation", "0"))
            self.store_id = meta_value(self._db, "store")
            if self.generation == 0 or self._hold_generation():
                return
            self._db.execute("ROLLBACK")
        raise LogError(_("{store}: the store changes too fast to be read; try again").format(
            store=self.root))

    def _hold_generation(self) -> bool:
        """Take a shared lock on the published generation (False: it is gone already,
        a later collect replaced it)."""
        try:
            fd = os.open(generation_dir(self.root, self.generation) / READERS, os.O_RDONLY)
        except FileNotFoundError:
            return False
        fcntl.flock(fd, fcntl.LOCK_SH)
        self._hold = fd
        return True

    def close(self) -> None:
        if self._db is not None:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self._db.close()
            self._db = None
        if self._hold is not None:
            os.close(self._hold)
            self._hold = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    # --- the columnar copy --------------------------------------------------------------

    @property
    def minutes_glob(self) -> str:
        """The published minute parts (a glob; it matches nothing before the first
        collect)."""
        return str(generation_dir(self.root, self.generation) / "minutes" / "*.parquet")

    @property
    def events_glob(self) -> str:
        return str(generation_dir(self.root, self.generation) / "events" / "*.parquet")

    def part_files(self, table: str) -> list[str]:
        """The published Parquet files of ``minutes``, ``events`` or ``days``."""
        if table not in FILES:
            raise ValueError(f"no such table: {table}")
        if self._db is None or self.generation == 0:
            return []
        folder = generation_dir(self.root, self.generation) / table
        return [str(folder / part_name(self.store_id, month, part))
                for part, month in self._db.execute("SELECT id, month FROM parts ORDER BY id")]

    def views(self, con: Any) -> None:
        """Create the ``minutes``, ``events`` and ``days`` views over the published
        generation on a DuckDB connection (empty tables when nothing is published yet).
        ``days`` is read from the parts' days files; a store published before they were
        written has it added up from the lines instead (the same figures, slower)."""
        for table in TABLES:
            files = self.part_files(table)
            if files:
                con.read_parquet(files, hive_partitioning=False).create_view(table, replace=True)
            else:
                empty_tables(con, minutes=table == "minutes", events=table == "events")
        files = self.part_files(DAYS)
        if files and all(os.path.isfile(f) for f in files):
            con.read_parquet(files, hive_partitioning=False).create_view(DAYS, replace=True)
        else:
            con.execute("CREATE OR REPLACE TEMP VIEW days AS "
                        + DAYS_SQL.format(minutes="minutes", events="events"))

    def has_data(self) -> bool:
        if self._db is None:
            return False
        return self._db.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is not None

    # --- the catalog --------------------------------------------------------------------

    def logs(self, start: date | None = None, end: date | None = None,
             stations: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        """The collected logs (one per station and day) within [start, end]."""
        if self._db is None:
            return
        wanted = set(stations) if stations is not None else None
        where, params = "", []
        if wanted is not None and len(wanted) <= 500:
            where = f" AND l.station IN ({', '.join('?' * len(wanted))})"
            params = sorted(wanted)
        cursor = self._db.execute(
            "SELECT l.station, l.day, l.district, l.sha256, l.bytes, l.lines, l.minutes, "
            "l.events, l.sealed, l.torn, l.version, l.part, f.path, l.source_name, "
            "l.collected FROM logs l JOIN folders f ON f.id = l.source_folder "
            f"WHERE l.day BETWEEN ? AND ?{where} ORDER BY l.station, l.day",
            [str(start or date.min), str(end or date.max), *params],
        )
        for row in cursor:
            if wanted is not None and row[0] not in wanted:
                continue
            yield {
                "station": row[0], "date": row[1], "district": row[2],
                "sha256": bytes(row[3]).hex(), "bytes": row[4], "lines": row[5],
                "minutes": row[6], "events": row[7], "sealed": bool(row[8]),
                "torn": bool(row[9]), "path": raw_path(row[2], row[0], row[1], row[10]),
                "part": row[11], "source": origin_text(row[12], row[13]),
                "collected": _iso(row[14]), "status": "ok",
            }

    def log_counts(self, start: date | None = None, end: date | None = None
                   ) -> dict[str, tuple[int, int]]:
        """Per station, the logs collected within [start, end] and how many of them
        lack their sealed line: station -> (logs, unsealed). One query, whatever the
        number of files."""
        if self._db is None:
            return {}
        return {station: (n, unsealed) for station, n, unsealed in self._db.execute(
            "SELECT station, count(*), count(*) - sum(sealed) FROM logs "
            "WHERE day BETWEEN ? AND ? GROUP BY station",
            (str(start or date.min), str(end or date.max)))}

    def set_aside(self, start: date | None = None, end: date | None = None,
                  kinds: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Copies set apart within [start, end]: kind (quarantined, rejected, duplicate,
        conflict, unknown), station, date, path, source, code and message."""
        if self._db is None:
            return []
        rows = self._db.execute(
            "SELECT kind, station, day, sha256, bytes, path, source, code, message, collected "
            "FROM aside WHERE day BETWEEN ? AND ? ORDER BY day, station, kind",
            (str(start or date.min), str(end or date.max)),
        ).fetchall()
        return [
            {"kind": r[0], "station": r[1], "date": r[2], "sha256": r[3], "bytes": r[4],
             "path": r[5], "source": r[6], "code": r[7], "message": r[8], "collected": r[9]}
            for r in rows
            if kinds is None or r[0] in kinds
        ]

    # Format 1 names, kept for readers written against them; they load the whole
    # catalog, so new code uses logs() and set_aside().
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Every collected log, keyed ``<station>/<YYYY-MM-DD>`` (the whole catalog)."""
        if self._files is None:
            self._files = {f"{e['station']}/{e['date']}": e for e in self.logs()}
        return self._files

    @property
    def catalog(self) -> dict[str, Any]:
        """What was set apart, as format 1 named it: ``rejected`` (also quarantined
        and duplicate copies, with their ``kind``), ``conflicts``, ``unknown``."""
        if self._catalog is None:
            aside = self.set_aside()
            self._catalog = {
                "format": FORMAT,
                "rejected": [a for a in aside
                             if a["kind"] in ("rejected", "quarantined", "duplicate")],
                "conflicts": [a for a in aside if a["kind"] == "conflict"],
                "unknown": {f"{a['station']}/{a['date']}/{a['sha256'][:12]}": a
                            for a in aside if a["kind"] == "unknown"},
            }
        return self._catalog


def empty_tables(con: Any, minutes: bool = True, events: bool = True) -> None:
    """Create empty ``minutes``/``events`` tables when the store has no data yet."""
    if minutes:
        con.execute(f"CREATE OR REPLACE TEMP TABLE minutes ({MINUTE_COLUMNS}, district VARCHAR)")
    if events:
        con.execute(f"CREATE OR REPLACE TEMP TABLE events ({EVENT_COLUMNS}, district VARCHAR)")
