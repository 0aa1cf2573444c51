"""What a store remembers of the folders it collected from: the files it read (``seen``:
size, mtime, inode and ctime, so that an unchanged file is not read again) and each
folder's last listing (``listings``, ``watched``: what a quick collect need not list
again, docs/store.md). All of it lands in the collect's transaction (StoreWriter)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from radiocli.aslog.store import Listed, Listing


class FolderMemory:
    """The catalog's memory of source folders, for :func:`radiocli.aslog.sources.candidates`
    (its ``Memory``); ``folder_id`` gives (and makes) a folder's id in ``folders``."""

    def __init__(self, db: sqlite3.Connection, folder_id: Callable[[str], int]) -> None:
        self.db = db
        self.folder_id = folder_id
        self._listings: dict[str, Listing] | None = None
        self._listed = False  # listings were kept in this collect (temporary tables)

    def seen_in(self, folder: str) -> dict[str, tuple[int, int, int, int]]:
        """Files of ``folder`` already collected: name -> (size, mtime_ns, inode,
        ctime_ns)."""
        folder_id = self._known_id(folder)
        if folder_id is None:
            return {}
        return {name: (size, mtime, inode, ctime)
                for name, size, mtime, inode, ctime in self.db.execute(
                    "SELECT name, size, mtime_ns, inode, ctime_ns FROM seen WHERE folder = ?",
                    (folder_id,))}

    def _known_id(self, folder: str) -> int | None:
        """The folder's id when a collect recorded it before (none is made)."""
        row = self.db.execute("SELECT id FROM folders WHERE path = ?", (folder,)).fetchone()
        return None if row is None else int(row[0])

    def remember(self, folder: str, name: str, stats: tuple[int, int, int, int]) -> None:
        """A file of ``folder`` was collected as it was with these (size, mtime_ns, inode,
        ctime_ns)."""
        self.db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?, ?)",
                        (self.folder_id(folder), name, *stats))

    def listing(self, folder: str) -> Listing | None:
        """``folder`` as the last collect that listed it left it (all listings are
        read at the first call)."""
        if self._listings is None:
            self._listings = {}
            watch: dict[int, dict[str, tuple[int, int, int, int]]] = {}
            for folder_id, name, size, mtime, inode, ctime in self.db.execute(
                    "SELECT folder, name, size, mtime_ns, inode, ctime_ns FROM watched"):
                watch.setdefault(folder_id, {})[name] = (size, mtime, inode, ctime)
            for folder_id, path, ctime, inode, files in self.db.execute(
                    "SELECT g.folder, f.path, g.ctime_ns, g.inode, g.files FROM listings g "
                    "JOIN folders f ON f.id = g.folder"):
                self._listings[path] = Listing(ctime, inode, files, watch.get(folder_id, {}))
        return self._listings.get(folder)

    def listed(self, folder: str, ctime_ns: int, inode: int, logs: list[Listed] | None
               ) -> None:
        """Keep ``folder``'s listing until :meth:`keep`, which makes it the catalog's once
        every file of it is remembered; None: forget it."""
        if not self._listed:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS listed_now ("
                            "folder INTEGER, name TEXT, station TEXT, day TEXT, size INTEGER, "
                            "mtime_ns INTEGER, inode INTEGER, ctime_ns INTEGER, "
                            "PRIMARY KEY (folder, name)) WITHOUT ROWID")
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS listed_folders ("
                            "folder INTEGER PRIMARY KEY, ctime_ns INTEGER, inode INTEGER, "
                            "keep INTEGER)")
            self._listed = True
        if logs is None:
            known = self._known_id(folder)
            if known is None:
                return
            folder_id = known
        else:
            folder_id = self.folder_id(folder)
            self.db.execute("DELETE FROM listed_now WHERE folder = ?", (folder_id,))
            self.db.executemany("INSERT INTO listed_now VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(folder_id, *log) for log in logs])
        self.db.execute("INSERT OR REPLACE INTO listed_folders VALUES (?, ?, ?, ?)",
                        (folder_id, ctime_ns, inode, int(logs is not None)))

    def keep(self) -> None:
        """The listings of the folders listed in this collect, in the catalog: a folder's
        stands only when each of its logs is remembered as it was listed (a file still
        empty, or that could not be read, is not); its watched files are those whose day
        is not collected sealed."""
        if not self._listed:
            return
        db = self.db
        db.execute("DELETE FROM listings WHERE folder IN (SELECT folder FROM listed_folders)")
        db.execute("DELETE FROM watched WHERE folder IN (SELECT folder FROM listed_folders)")
        db.execute(
            "INSERT INTO listings SELECT l.folder, l.ctime_ns, l.inode, "
            "(SELECT count(*) FROM listed_now n WHERE n.folder = l.folder) "
            "FROM listed_folders l WHERE l.keep AND NOT EXISTS ("
            "  SELECT 1 FROM listed_now n LEFT JOIN seen s ON s.folder = n.folder "
            "    AND s.name = n.name "
            "  WHERE n.folder = l.folder AND (s.size IS NULL OR s.size != n.size "
            "    OR s.mtime_ns != n.mtime_ns OR s.inode != n.inode OR s.ctime_ns != n.ctime_ns))")
        db.execute(
            "INSERT INTO watched SELECT n.folder, n.name, n.size, n.mtime_ns, n.inode, "
            "n.ctime_ns FROM listed_now n JOIN listings g ON g.folder = n.folder "
            "WHERE n.folder IN (SELECT folder FROM listed_folders) AND NOT EXISTS ("
            "  SELECT 1 FROM logs o WHERE o.station = n.station AND o.day = n.day "
            "    AND o.sealed = 1)")
        db.execute("DROP TABLE listed_now")
        db.execute("DROP TABLE listed_folders")
        self._listed = False
