"""The one collect that writes a store: its lock, its recovery from a collect that
died, what it records, and the single step that publishes it all (docs/store.md).

Everything a collect records lands in one SQLite transaction; :meth:`StoreWriter.publish`
makes the new files durable (one ``syncfs``) and commits it: that commit, which names the
new generation, is the atomic step. Then ``current`` is pointed at the generation and
what is no longer published is removed. Without :meth:`StoreWriter.publish` nothing is
seen, and the next writer removes what was written (listed in ``.pending`` before it
was written; ``.incoming/``; generations the catalog does not name).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from radiocli.aslog.durable import replace_symlink, sync_filesystem
from radiocli.aslog.listings import FolderMemory
from radiocli.aslog.store import (
    ASIDE,
    CATALOG,
    DAYS,
    FILES,
    FORMAT,
    INCOMING,
    LEGACY_CATALOG,
    LEGACY_FOLDER,
    LOCK,
    MERGE_AT,
    PART_TARGET,
    PENDING,
    READERS,
    SCHEMA,
    TABLES,
    StoreBusy,
    connect_catalog,
    meta_value,
    origin_text,
    generation_dir,
    part_name,
    raw_path,
)
from radiocli.errors import LogError
from radiocli.fileio import fsync_dir, make_folder, write_all
from radiocli.i18n import _, os_reason


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
                _("{store}: another collect (process {holder}) is writing this store; try "
                  "again when it has finished, or leave out --no-wait to wait for it").format(
                    store=store, holder=holder)
            ) from None
        if on_wait is not None:
            on_wait(_("{store}: another collect (process {holder}) is writing this store; "
                      "waiting for it to finish").format(store=store, holder=holder))
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
            make_folder(self.root)
        except OSError as exc:
            raise LogError(_("{store}: cannot create the store: {reason}").format(
                store=self.root, reason=os_reason(exc))) from exc
        self._lock = _lock(self.root / LOCK, wait, on_wait)
        self.db: sqlite3.Connection | None = None
        self._con: Any = None
        try:
            self.legacy = self._migrate()
            self.db = connect_catalog(self.root / CATALOG, write=True)
            self._init_schema()
            self.generation = int(meta_value(self.db, "generation", "0"))
            self.store_id = meta_value(self.db, "store")
            self._recover()
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.close()
            raise
        self.next_part = int(meta_value(self.db, "next_part", "1"))
        self.new_generation = generation_dir(self.root, self.generation + 1)
        self.incoming = self.root / INCOMING / str(os.getpid())
        self._pending_fd: int | None = None
        self._folders: dict[str, int] = {}
        self._dropped: dict[int, set[tuple[str, str]]] = {}  # part -> keys to drop
        self._changed = False
        self.memory = FolderMemory(self.db, self.folder_id)  # sources.Memory
        self.published = False

    # --- opening: format, crash recovery ------------------------------------------------

    def _init_schema(self) -> None:
        assert self.db is not None
        self.db.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        if "ctime_ns" not in {r[1] for r in self.db.execute("PRAGMA table_info(seen)")}:
            # files seen before status change times were kept: each is read once more
            self.db.execute("ALTER TABLE seen ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT 0")
        if not meta_value(self.db, "format"):
            self.db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", str(FORMAT)), ("store", uuid.uuid4().hex[:8]), ("generation", "0"),
                ("next_part", "1")])
        elif meta_value(self.db, "format") != str(FORMAT):
            self.db.execute("ROLLBACK")
            raise LogError(_("{store}: the store has format {found}, this radiocli reads "
                             "format {format}; use a newer radiocli").format(
                store=self.root, found=meta_value(self.db, "format"), format=FORMAT))
        self.db.execute("COMMIT")

    def _migrate(self) -> Path | None:
        """A format 1 store: move its files into ``format-1/``; the collect then takes
        its logs from there (see :attr:`legacy`). Returns that folder while it is
        still to be collected."""
        legacy = self.root / LEGACY_FOLDER
        old = self.root / LEGACY_CATALOG
        if old.exists() and not (self.root / CATALOG).exists():
            make_folder(legacy)
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
        for table in FILES:
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
                                             origin_text(row[7], row[8]))
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
            make_folder(target.parent)
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

    def new_part(self, month: str) -> tuple[int, list[Path]]:
        """A new part's id and where its files go (minutes, events, days: FILES)."""
        part = self.next_part
        self.next_part += 1
        name = part_name(self.store_id, month, part)
        paths = []
        for table in FILES:
            folder = self.new_generation / table
            make_folder(folder)
            paths.append(folder / name)
        return part, paths

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
            new, targets = self.new_part(month)
            counts = rewrite(
                self.duckdb,
                [self.part_path(t, month, part, created) for t in TABLES],
                targets,
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
            new, targets = self.new_part(month)
            counts = merge(
                self.duckdb,
                [[self.part_path(t, month, p, c) for p, c in small] for t in TABLES],
                targets,
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
                for table in FILES:
                    self.part_path(table, month, part, row[0]).unlink(missing_ok=True)
            self.db.execute("UPDATE logs SET part = ? WHERE part = ?", (new, part))
            self.db.execute("DELETE FROM parts WHERE id = ?", (part,))
        self.add_part(new, month, *counts)

    def _link_generation(self) -> None:
        """The new generation holds every part: those made by this collect are there
        already, the others are hard links to the published generation's files."""
        assert self.db is not None
        make_folder(self.new_generation)
        published = generation_dir(self.root, self.generation)
        for table in FILES:
            make_folder(self.new_generation / table)
        for part, month, created in self.db.execute(
                "SELECT id, month, generation FROM parts").fetchall():
            if created > self.generation:
                continue
            name = part_name(self.store_id, month, part)
            for table in TABLES:
                os.link(published / table / name, self.new_generation / table / name)
            try:
                os.link(published / DAYS / name, self.new_generation / DAYS / name)
            except FileNotFoundError:  # a part published before days files were written
                from radiocli.aslog.parts import write_days

                write_days(self.duckdb, *(self.new_generation / t / name for t in FILES))
        (self.new_generation / READERS).touch()

    # --- publishing ---------------------------------------------------------------------

    def publish(self, today: date | None = None) -> bool:
        """Make everything recorded durable and visible in one step. Returns whether
        a new generation was published."""
        assert self.db is not None
        parts_changed = self._dropped or self.next_part != int(meta_value(self.db, "next_part", "1"))
        if parts_changed:
            self._rewrite_parts()
            self._compact(today)
            self._link_generation()
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'generation'",
                            (str(self.generation + 1),))
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_part'",
                            (str(self.next_part),))
        self.memory.keep()
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
