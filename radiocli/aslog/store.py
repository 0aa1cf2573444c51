"""The collect store: logs collected from stations, set apart when bad, and their
columnar copy, published all or nothing (docs/store.md).

    STORE/catalog.sqlite                  what is where: the one source of truth
    STORE/current -> generations/<n>      the published generation (a symlink)
    STORE/minutes -> current/minutes      what reports and other engines read
    STORE/events  -> current/events
    STORE/generations/<n>/minutes/<YYYY-MM>-<store>-<part>.parquet   one row per minute line
    STORE/generations/<n>/events/<YYYY-MM>-<store>-<part>.parquet    one row per event line
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
writer at a time (:class:`StoreWriter`) holds ``.lock``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from radiocli.aslog.durable import (
    fsync_dir,
    make_dirs,
    replace_symlink,
    sync_filesystem,
    write_all,
)
from radiocli.errors import LogError

CATALOG = "catalog.sqlite"
FORMAT = 2
LEGACY_CATALOG = "catalog.json"  # format 1: one JSON catalog, hive-partitioned batches
LEGACY_FOLDER = "format-1"
LOCK = ".lock"
PENDING = ".pending"
INCOMING = ".incoming"
READERS = ".readers"
TABLES = ("minutes", "events")
ASIDE = {  # kind -> folder
    "quarantined": "quarantine",
    "rejected": "rejected",
    "duplicate": "duplicates",
    "conflict": "conflicts",
    "unknown": "unknown",
}
NOT_SOURCES = frozenset(
    {"generations", "current", "minutes", "events", "quarantine", "rejected", "duplicates",
     "conflicts", LEGACY_FOLDER}
)  # folders of a store that are not logs to collect (raw/ and unknown/ are)
PART_TARGET = 64 << 20  # parts smaller than this are merged, once a month has several
MERGE_AT = 4  # ... this many small parts

MINUTE_COLUMNS = (
    "station VARCHAR, day DATE, minute TIMESTAMP, program VARCHAR, occurrence VARCHAR, "
    "segment INTEGER, priority VARCHAR, seconds INTEGER"
)
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
CREATE INDEX IF NOT EXISTS logs_day ON logs (day);
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
    mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    PRIMARY KEY (folder, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trash (path TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class StoreBusy(LogError):
    """Another collect is writing the store."""


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
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
        raise LogError(f"{path}: the store's catalog cannot be read ({exc}); move the store "
                       "aside and collect the logs again") from exc


def _meta(db: sqlite3.Connection, key: str, default: str = "") -> str:
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
                    f"{self.root}: this store was written by an older radiocli (format 1); "
                    f"upgrade it with: radiocli logs collect <logs> --into {self.root}"
                )
            return
        self._db = _connect(path, write=False)
        for _attempt in range(20):
            # one read transaction from here to close(): the catalog as it was when the
            # generation was read, whatever collects publish meanwhile
            self._db.execute("BEGIN")
            self.generation = int(_meta(self._db, "generation", "0"))
            self.store_id = _meta(self._db, "store")
            if self.generation == 0 or self._hold_generation():
                return
            self._db.execute("ROLLBACK")
        raise LogError(f"{self.root}: the store changes too fast to be read; try again")

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
        """The published Parquet files of ``minutes`` or ``events``."""
        if table not in TABLES:
            raise ValueError(f"no such table: {table}")
        if self._db is None or self.generation == 0:
            return []
        folder = generation_dir(self.root, self.generation) / table
        return [str(folder / part_name(self.store_id, month, part))
                for part, month in self._db.execute("SELECT id, month FROM parts ORDER BY id")]

    def views(self, con: Any) -> None:
        """Create the ``minutes`` and ``events`` views over the published generation on
        a DuckDB connection (empty tables when nothing is published yet)."""
        for table in TABLES:
            files = self.part_files(table)
            if files:
                con.read_parquet(files, hive_partitioning=False).create_view(table, replace=True)
            else:
                empty_tables(con, minutes=table == "minutes", events=table == "events")

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
        cursor = self._db.execute(
            "SELECT l.station, l.day, l.district, l.sha256, l.bytes, l.lines, l.minutes, "
            "l.events, l.sealed, l.torn, l.version, l.part, f.path, l.source_name, "
            "l.collected FROM logs l JOIN folders f ON f.id = l.source_folder "
            "WHERE l.day BETWEEN ? AND ? ORDER BY l.station, l.day",
            (str(start or date.min), str(end or date.max)),
        )
        for row in cursor:
            if wanted is not None and row[0] not in wanted:
                continue
            yield {
                "station": row[0], "date": row[1], "district": row[2],
                "sha256": bytes(row[3]).hex(), "bytes": row[4], "lines": row[5],
                "minutes": row[6], "events": row[7], "sealed": bool(row[8]),
                "torn": bool(row[9]), "path": raw_path(row[2], row[0], row[1], row[10]),
                "part": row[11], "source": _origin(row[12], row[13]),
                "collected": _iso(row[14]), "status": "ok",
            }

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


# --- the one writer ---------------------------------------------------------------------


def _origin(folder: str, name: str) -> str:
    """Where a file came from: ``<folder>/<name>``, or ``<archive>:<member>``."""
    if folder.endswith(":"):
        return folder + name
    return f"{folder}/{name}"


@dataclass
class Live:
    """The collected copy of one station's day, as the catalog (this run included)
    has it."""

    station: str
    day: str
    district: str
    sha256: str
    sealed: bool
    version: int
    part: int
    source: str

    @property
    def path(self) -> str:
        return raw_path(self.district, self.station, self.day, self.version)


def _lock(path: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            os.close(fd)
            raise
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
        store = path.parent
        if not wait:
            os.close(fd)
            raise StoreBusy(
                f"{store}: another collect (process {holder}) is writing this store; "
                "try again when it has finished, or leave out --no-wait to wait for it"
            ) from None
        if on_wait is not None:
            on_wait(f"{store}: another collect (process {holder}) is writing this store; "
                    "waiting for it to finish")
        fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


class StoreWriter:
    """The one collect writing a store: holds ``.lock`` from open to :meth:`close`.

    Everything it records lands in one SQLite transaction; :meth:`publish` makes the
    files durable and commits it. Without :meth:`publish` nothing it did is seen, and
    the next writer removes its files."""

    def __init__(self, root: Path | str, *, wait: bool = True,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        try:
            make_dirs(self.root)
        except OSError as exc:
            raise LogError(f"{self.root}: cannot create the store: {exc.strerror}") from exc
        self._lock = _lock(self.root / LOCK, wait, on_wait)
        self.db: sqlite3.Connection | None = None
        self._con: Any = None
        try:
            self.legacy = self._migrate()
            self.db = _connect(self.root / CATALOG, write=True)
            self._init_schema()
            self.generation = int(_meta(self.db, "generation", "0"))
            self.store_id = _meta(self.db, "store")
            self._recover()
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.close()
            raise
        self.next_part = int(_meta(self.db, "next_part", "1"))
        self.new_generation = generation_dir(self.root, self.generation + 1)
        self.incoming = self.root / INCOMING / str(os.getpid())
        self._pending_fd: int | None = None
        self._folders: dict[str, int] = {}
        self._dropped: dict[int, set[tuple[str, str]]] = {}  # part -> keys to drop
        self._trash: list[str] = []
        self._changed = False
        self.published = False

    # --- opening: format, crash recovery ------------------------------------------------

    def _init_schema(self) -> None:
        assert self.db is not None
        self.db.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        if not _meta(self.db, "format"):
            self.db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", str(FORMAT)), ("store", uuid.uuid4().hex[:8]), ("generation", "0"),
                ("next_part", "1")])
        elif _meta(self.db, "format") != str(FORMAT):
            self.db.execute("ROLLBACK")
            raise LogError(f"{self.root}: the store has format {_meta(self.db, 'format')}, "
                           f"this radiocli reads format {FORMAT}; use a newer radiocli")
        self.db.execute("COMMIT")

    def _migrate(self) -> Path | None:
        """A format 1 store: move its files into ``format-1/``; the collect then takes
        its logs from there (see :attr:`legacy`). Returns that folder while it is
        still to be collected."""
        legacy = self.root / LEGACY_FOLDER
        old = self.root / LEGACY_CATALOG
        if old.exists() and not (self.root / CATALOG).exists():
            make_dirs(legacy)
            for name in ("raw", "minutes", "events", "unknown", "rejected", "conflicts",
                         ".staging", LEGACY_CATALOG):
                if (self.root / name).exists() and not (legacy / name).exists():
                    os.replace(self.root / name, legacy / name)
            fsync_dir(self.root)
        if (legacy / LEGACY_CATALOG).exists():
            return legacy
        return None

    def _recover(self) -> None:
        """Remove what a collect that died left unpublished; finish what one that
        published did not get to (the ``current`` link, removals)."""
        assert self.db is not None
        generations = self.root / "generations"
        if generations.is_dir():
            for name in os.listdir(generations):
                if name.isdigit() and int(name) > self.generation:
                    shutil.rmtree(generations / name, ignore_errors=True)
        self._link_current()
        pending = self.root / PENDING
        if pending.exists():
            for line in pending.read_text(encoding="utf-8", errors="replace").splitlines():
                self._unpublished(line)
            pending.unlink()
            fsync_dir(self.root)
        self._empty_trash()
        shutil.rmtree(self.root / INCOMING, ignore_errors=True)
        self._drop_old_generations()

    def _unpublished(self, line: str) -> None:
        """Remove a file a dead collect wrote, unless the catalog names it."""
        assert self.db is not None
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1]:
            return
        path = parts[1]
        pieces = path.split("/")
        if len(pieces) == 4 and pieces[0] == "raw":
            row = self.db.execute("SELECT district, version FROM logs WHERE station = ? AND "
                                  "day = ?", (pieces[2], pieces[3][:10])).fetchone()
            if row is not None and raw_path(row[0], pieces[2], pieces[3][:10], row[1]) == path:
                return
        elif len(pieces) == 3 and self.db.execute(
                "SELECT 1 FROM aside WHERE day = ? AND path = ?", (pieces[2][:10], path)
        ).fetchone():
            return
        target = self.root / path
        if target.is_file() and not target.is_symlink():
            target.unlink()

    def _link_current(self) -> None:
        current = self.root / "current"
        if self.generation > 0:
            target = f"generations/{self.generation:06d}"
            if not current.is_symlink() or os.readlink(current) != target:
                replace_symlink(current, target)
        for table in TABLES:
            link = self.root / table
            if not link.is_symlink() and not link.exists():
                os.symlink(f"current/{table}", link)

    def _empty_trash(self) -> None:
        assert self.db is not None
        rows = [r[0] for r in self.db.execute("SELECT path FROM trash")]
        for path in rows:
            try:
                (self.root / path).unlink()
            except FileNotFoundError:
                pass
        if rows:
            self.db.execute("DELETE FROM trash")

    def _drop_old_generations(self) -> None:
        """Remove generations before the one before the published one, unless a reader
        still holds one."""
        generations = self.root / "generations"
        if not generations.is_dir():
            return
        for name in sorted(os.listdir(generations)):
            if not name.isdigit() or int(name) >= self.generation - 1:
                continue
            folder = generations / name
            try:
                fd = os.open(folder / READERS, os.O_RDONLY)
            except FileNotFoundError:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a reader still reads it; a later collect removes it
            finally:
                os.close(fd)
            shutil.rmtree(folder, ignore_errors=True)

    # --- sources already seen -----------------------------------------------------------

    def folder_id(self, folder: str) -> int:
        assert self.db is not None
        found = self._folders.get(folder)
        if found is None:
            row = self.db.execute("SELECT id FROM folders WHERE path = ?", (folder,)).fetchone()
            if row is None:
                found = self.db.execute("INSERT INTO folders (path) VALUES (?)",
                                        (folder,)).lastrowid
                assert found is not None
            else:
                found = row[0]
            if len(self._folders) > 4096:
                self._folders.clear()
            self._folders[folder] = found
        return found

    def seen_in(self, folder: str) -> dict[str, tuple[int, int, int]]:
        """Files of ``folder`` already collected: name -> (size, mtime_ns, inode)."""
        assert self.db is not None
        row = self.db.execute("SELECT id FROM folders WHERE path = ?", (folder,)).fetchone()
        if row is None:
            return {}
        return {name: (size, mtime, inode) for name, size, mtime, inode in self.db.execute(
            "SELECT name, size, mtime_ns, inode FROM seen WHERE folder = ?", (row[0],))}

    def remember(self, folder: str, name: str, size: int, mtime_ns: int, inode: int) -> None:
        assert self.db is not None
        self.db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                        (self.folder_id(folder), name, size, mtime_ns, inode))
        self._changed = True

    # --- the catalog --------------------------------------------------------------------

    def live(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Live]:
        """The collected copies of these (station, day) keys."""
        assert self.db is not None
        out: dict[tuple[str, str], Live] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            where = " OR ".join(["(l.station = ? AND l.day = ?)"] * len(chunk))
            params = [v for key in chunk for v in key]
            for row in self.db.execute(
                "SELECT l.station, l.day, l.district, l.sha256, l.sealed, l.version, l.part, "
                f"f.path, l.source_name FROM logs l JOIN folders f ON f.id = l.source_folder "
                f"WHERE {where}", params):
                out[(row[0], row[1])] = Live(row[0], row[1], row[2], bytes(row[3]).hex(),
                                             bool(row[4]), row[5], row[6],
                                             _origin(row[7], row[8]))
        return out

    def aside_has(self, kind: str, station: str, day: str, sha256: str) -> bool:
        assert self.db is not None
        return self.db.execute(
            "SELECT 1 FROM aside WHERE kind = ? AND station = ? AND day = ? AND sha256 = ?",
            (kind, station, day, sha256)).fetchone() is not None

    def raw_path(self, district: str, station: str, day: str, version: int) -> str:
        return raw_path(district, station, day, version)

    def aside_path(self, kind: str, station: str, day: str, sha256: str) -> str:
        return f"{ASIDE[kind]}/{station}/{day}.{sha256[:12]}.jsonl"

    def intend(self, paths: Iterable[str]) -> None:
        """Say which files (relative paths) this collect is about to create outside
        ``.incoming``, durably, before it creates them."""
        text = "".join(f"new\t{p}\n" for p in paths)
        if not text:
            return
        if self._pending_fd is None:
            self._pending_fd = os.open(self.root / PENDING,
                                       os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            fsync_dir(self.root)
        write_all(self._pending_fd, text.encode())
        os.fsync(self._pending_fd)

    def place(self, incoming: Path, path: str) -> None:
        """Move a file from ``.incoming`` to ``path`` (named by :meth:`intend` first)."""
        target = self.root / path
        try:
            os.replace(incoming, target)
        except FileNotFoundError:
            make_dirs(target.parent)
            os.replace(incoming, target)
        self._changed = True

    def record_log(self, *, station: str, day: str, district: str, sha256: str, size: int,
                   lines: int, minutes: int, events: int, sealed: bool, torn: bool,
                   version: int, part: int, folder: str, name: str, collected: int,
                   replaces: Live | None) -> None:
        """The log of ``station`` on ``day`` is now this copy (at :func:`raw_path`)."""
        assert self.db is not None
        self.db.execute(
            "INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (station, day, district, bytes.fromhex(sha256), size, lines, minutes, events,
             int(sealed), int(torn), version, part, self.folder_id(folder), name, collected))
        if replaces is not None:
            self._dropped.setdefault(replaces.part, set()).add((station, day))
            self.trash(replaces.path)
        self._changed = True

    def record_aside(self, *, kind: str, station: str, day: str, sha256: str, size: int,
                     path: str, source: str, code: str, message: str,
                     collected: str) -> None:
        assert self.db is not None
        self.db.execute("INSERT OR REPLACE INTO aside VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (kind, station, day, sha256, size, path, source, code, message,
                         collected))
        self._changed = True

    def trash(self, path: str) -> None:
        """Remove ``path`` once this collect is published."""
        assert self.db is not None
        self.db.execute("INSERT OR IGNORE INTO trash VALUES (?)", (path,))

    # --- parts --------------------------------------------------------------------------

    @property
    def duckdb(self) -> Any:
        if self._con is None:
            import duckdb

            self._con = duckdb.connect()
            self._con.execute("SET preserve_insertion_order=true")
            # bounded memory, spilling next to the store (removed with .incoming)
            self._con.execute("SET memory_limit='2GB'")
            self._con.execute("SET temp_directory=?", [str(self.incoming / "duckdb")])
        return self._con

    def new_part(self, month: str) -> tuple[int, Path, Path]:
        """A new part's id and where its minutes and events files go."""
        part = self.next_part
        self.next_part += 1
        name = part_name(self.store_id, month, part)
        paths = []
        for table in TABLES:
            folder = self.new_generation / table
            make_dirs(folder)
            paths.append(folder / name)
        return part, paths[0], paths[1]

    def part_path(self, table: str, month: str, part: int, created: int) -> Path:
        """Where a part is: in the generation being built when made by this collect,
        else in the published one."""
        generation = self.new_generation if created > self.generation else generation_dir(
            self.root, self.generation)
        return generation / table / part_name(self.store_id, month, part)

    def add_part(self, part: int, month: str, minutes: int, events: int, size: int) -> None:
        assert self.db is not None
        self.db.execute("INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?)",
                        (part, month, minutes, events, size, self.generation + 1))
        self._changed = True

    def _rewrite_parts(self) -> None:
        """Parts that hold rows of replaced logs are written again without them."""
        from radiocli.aslog.parts import rewrite

        assert self.db is not None
        for part, keys in sorted(self._dropped.items()):
            row = self.db.execute("SELECT month, generation FROM parts WHERE id = ?",
                                  (part,)).fetchone()
            if row is None:
                continue
            month, created = row
            # keys replaced into the same part (within one batch) are not dropped from it
            keep = {(s, d) for s, d in keys if self.db.execute(
                "SELECT 1 FROM logs WHERE station = ? AND day = ? AND part = ?",
                (s, d, part)).fetchone()}
            drop = sorted(keys - keep)
            if not drop:
                continue
            new, minutes_path, events_path = self.new_part(month)
            counts = rewrite(
                self.duckdb,
                [self.part_path(t, month, part, created) for t in TABLES],
                [minutes_path, events_path],
                drop,
            )
            self._replace_parts([part], new, month, counts)

    def _compact(self, today: date | None) -> None:
        """Merge a month's small parts once it has several (logs of recent days still
        being written are left in their small parts: they are likely to be replaced)."""
        from radiocli.aslog.parts import merge

        assert self.db is not None
        recent = str(date.fromordinal(today.toordinal() - 1)) if today else "9999-12-31"
        busy = {r[0] for r in self.db.execute(
            "SELECT DISTINCT part FROM logs WHERE sealed = 0 AND day >= ?", (recent,))}
        months: dict[str, list[tuple[int, int]]] = {}
        for part, month, size, created in self.db.execute(
                "SELECT id, month, bytes, generation FROM parts ORDER BY id"):
            if size < PART_TARGET and part not in busy:
                months.setdefault(month, []).append((part, created))
        for month, small in sorted(months.items()):
            if len(small) < MERGE_AT:
                continue
            new, minutes_path, events_path = self.new_part(month)
            counts = merge(
                self.duckdb,
                [[self.part_path(t, month, p, c) for p, c in small] for t in TABLES],
                [minutes_path, events_path],
            )
            self._replace_parts([p for p, _c in small], new, month, counts)

    def _replace_parts(self, old: list[int], new: int, month: str,
                       counts: tuple[int, int, int]) -> None:
        """``new`` holds the rows of the ``old`` parts now. Those that were published stay
        in their generation (readers may hold it) and are not linked into the new one;
        those made by this collect were never published: they go at once, or readers of
        the folder would count their rows twice."""
        assert self.db is not None
        for part in old:
            row = self.db.execute("SELECT generation FROM parts WHERE id = ?",
                                  (part,)).fetchone()
            if row is not None and row[0] > self.generation:
                for table in TABLES:
                    self.part_path(table, month, part, row[0]).unlink(missing_ok=True)
            self.db.execute("UPDATE logs SET part = ? WHERE part = ?", (new, part))
            self.db.execute("DELETE FROM parts WHERE id = ?", (part,))
        self.add_part(new, month, *counts)

    def _link_generation(self) -> None:
        """The new generation holds every part: those made by this collect are there
        already, the others are hard links to the published generation's files."""
        assert self.db is not None
        make_dirs(self.new_generation)
        for part, month, created in self.db.execute(
                "SELECT id, month, generation FROM parts"):
            if created > self.generation:
                continue
            for table in TABLES:
                name = part_name(self.store_id, month, part)
                target = self.new_generation / table / name
                make_dirs(target.parent)
                os.link(generation_dir(self.root, self.generation) / table / name, target)
        for table in TABLES:
            make_dirs(self.new_generation / table)
        (self.new_generation / READERS).touch()

    # --- publishing ---------------------------------------------------------------------

    def publish(self, today: date | None = None) -> bool:
        """Make everything recorded durable and visible in one step. Returns whether
        a new generation was published."""
        assert self.db is not None
        parts_changed = self._dropped or self.next_part != int(_meta(self.db, "next_part", "1"))
        if parts_changed:
            self._rewrite_parts()
            self._compact(today)
            self._link_generation()
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'generation'",
                            (str(self.generation + 1),))
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_part'",
                            (str(self.next_part),))
        if self._changed or parts_changed:
            sync_filesystem(self.root)
        self.db.execute("COMMIT")
        self.published = True
        if parts_changed:
            self.generation += 1
            self._link_current()
        self.db.execute("BEGIN IMMEDIATE")
        self._empty_trash()
        self.db.execute("COMMIT")
        if self._pending_fd is not None:
            os.close(self._pending_fd)
            self._pending_fd = None
        try:
            (self.root / PENDING).unlink()
        except FileNotFoundError:
            pass
        shutil.rmtree(self.root / INCOMING, ignore_errors=True)
        self._drop_old_generations()
        return bool(parts_changed)

    def finish_legacy(self) -> None:
        """After a published collect took every log of a format 1 store: remove its
        copies that are now in this store (its rejected and conflicting copies stay in
        ``format-1/``, under the names format 1 gave them)."""
        if self.legacy is None or not self.published:
            return
        for name in ("raw", "minutes", "events", "unknown", ".staging"):
            shutil.rmtree(self.legacy / name, ignore_errors=True)
        (self.legacy / LEGACY_CATALOG).unlink(missing_ok=True)
        if not any(self.legacy.iterdir()):
            self.legacy.rmdir()
        self.legacy = None

    def close(self) -> None:
        """Give the store back; without :meth:`publish` nothing recorded is kept."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self.db is not None:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.close()
            self.db = None
        if getattr(self, "_pending_fd", None) is not None:
            os.close(self._pending_fd)  # type: ignore[arg-type]
            self._pending_fd = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None  # type: ignore[assignment]

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
