"""What a report says, independent of how it is written out (table, CSV, XLSX, HTML,
DOCX, JSON): titled tables with typed columns, totals, a headline, what was left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from radiocli.errors import RadioError
from radiocli.i18n import _

# column kinds: how a value is shown and stored (numbers stay numbers in XLSX)
TEXT, CODE, INT, NUM, NUM2, PERCENT = "text", "code", "int", "num", "num2", "percent"
DATE, DATETIME = "date", "datetime"
NUMERIC = (INT, NUM, NUM2, PERCENT)


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    kind: str = TEXT
    brief: bool = True  # shown in the Word document too (the annex has every column)


@dataclass
class Table:
    """One level of a report (city, district, commune, day, problems, ...)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None  # the total row, computed from unrounded figures
    group: str = ""  # rows come grouped by this key (a station): pages show a group heading
    document: bool = True  # in the Word document too (else only in the annex and the page)

    def pairs(self) -> list[tuple[str, str]]:
        return [(c.key, c.heading) for c in self.columns]

    def brief(self) -> list[Column]:
        """The columns a page or a document shows (the annex has them all); a grouped
        table leaves out the columns its group heading names."""
        grouped = (self.group, f"{self.group}_name") if self.group else ()
        return [c for c in self.columns if c.brief and c.key not in grouped]


@dataclass(frozen=True)
class MapPoint:
    """A station on the map: where it is and the value it is coloured by."""

    code: str
    name: str
    lat: float
    lon: float
    value: float
    label: str  # the value as people read it ("195,6 phút", "83%")


@dataclass(frozen=True)
class Place:
    """A station of the city on the map, out of the report's scope (grey, outlines)."""

    code: str
    lat: float
    lon: float
    district: str
    district_name: str


@dataclass
class Report:
    kind: str  # summary, station, compliance
    start: date
    end: date
    lang: str
    tables: list[Table]
    totals: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    title: str = ""
    subject: str = ""  # the document's summary line ("Kết quả ... của các đài ...")
    notes: list[str] = field(default_factory=list)  # what was left out and why
    charts: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    points: list[MapPoint] = field(default_factory=list)  # the stations on the map
    places: list[Place] = field(default_factory=list)  # every station, for context
    map_scale: str = "minutes"  # minutes | compliance: what the colours say
    map_caption: str = ""
    # the report's key figures, in order: (label, value, column kind)
    figures: list[tuple[str, Any, str]] = field(default_factory=list)
    # the tables whose rows, one after the other, are the report's listing (table, CSV,
    # JSON "rows"); the first table when empty
    main_keys: tuple[str, ...] = ()

    @property
    def main(self) -> Table:
        return self.table(self.main_keys[0]) or self.tables[0] if self.main_keys \
            else self.tables[0]

    @property
    def columns(self) -> list[tuple[str, str]]:
        return self.main.pairs()

    @property
    def rows(self) -> list[dict[str, Any]]:
        if not self.main_keys:
            return self.main.rows
        return [row for key in self.main_keys for row in (self.table(key) or self.main).rows]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "title": self.title,
            "headline": self.headline,
            **self.totals,
            "rows": self.rows,
            "notes": self.notes,
        }
        for table in self.tables:  # each level under its name (the listing's parts excepted)
            if table.key not in self.main_keys:
                out.setdefault(table.key, table.rows)
        out.update(self.extra)
        return out


def check_period(start: date, end: date) -> None:
    if end < start:
        raise RadioError(_("the period runs backwards: --from {start} is after --to {end}; swap "
                           "them").format(start=start, end=end))
    if (end - start).days > 3660:
        raise RadioError(_("the period is longer than ten years; choose a shorter one"))
