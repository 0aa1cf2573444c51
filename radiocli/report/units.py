"""Which unit each log line counts under, and which units a report lists.

A code alone does not name a unit: ``00004`` was Phường Trúc Bạch (district 001) until
2025-06-30 and is the larger Phường Ba Đình (no district) from 2025-07-01. A report
therefore joins every line to the unit that held its code *that day*
(:meth:`Registry.attribution`, the ``holder`` rule: a station still writing under a
merged unit's code counts for that unit), and lists:

- by default, the units as they aired: one row per unit *version* of the period (its code,
  name and district as they were those days), so a unit renamed on 2025-01-01 is two rows
  and the days of a district are counted under it while it existed;
- with ``on`` (``--as-of DATE``), the units in force on that date, each carrying the
  history of the units it succeeded (:meth:`Registry.roll_up`): a merged unit's history
  goes to the unit it merged into, a divided unit's to its main successor. A unit of that
  date formed only from parts of divided units receives no history (00340 Phường Yên Sở
  on 2025-07-01); the report lists it with zeros and says why.

A :class:`Frame` is that choice for one report: its *sources* (the units as they aired,
within the report's scope), its *rows* (what the report lists: the sources themselves, or
the units of ``on``) and the spans ``(code, first, last, source)`` that the report's SQL
joins the store's lines to (:mod:`radiocli.report.connection`). Pure Python: no DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from radiocli.errors import RadioError
from radiocli.i18n import _
from radiocli.report.words import H
from radiocli.schedule.registry import Registry, Station, UnitKey


@dataclass
class Source:
    """A unit as it aired: one version (code, name, district) of a unit, over the days of
    the report's period on which a line under its code belongs to it."""

    id: int
    station: Station
    first: date | None = None  # the first and last day of the period it was in force
    last: date | None = None  # (None: not in force in the period, it has lines only)
    in_force: int = 0  # how many days of the period it was in force
    row: int = -1  # the row it counts under (-1: out of the report's scope)

    @property
    def key(self) -> UnitKey:
        return self.station.key

    def add(self, first: date, last: date) -> None:
        """The version was in force from ``first`` to ``last``."""
        self.first = first if self.first is None else min(self.first, first)
        self.last = last if self.last is None else max(self.last, last)
        self.in_force += (last - first).days + 1


@dataclass
class Row:
    """A line of the report: a source (the default) or a unit of the as-of date."""

    id: int
    station: Station
    sources: list[int] = field(default_factory=list)
    listed: bool = False  # listed even when it aired nothing (in force in the period)
    carried: bool = True  # as-of: False when the rule gave it no history (00340)

    @property
    def code(self) -> str:
        return self.station.code


class Frame:
    """The units of one report: ``start``..``end``, optionally rolled up to the units of
    ``on``, within ``district`` or ``station`` (a code: every unit that held it in the
    period, or with ``on`` the unit holding it on ``on``)."""

    def __init__(self, registry: Registry, start: date, end: date, on: date | None = None,
                 district: str | None = None, station: str | None = None) -> None:
        self.registry = registry
        self.start, self.end, self.on = start, end, on
        self.district, self.station = district, station
        self.days = (end - start).days + 1
        self._check()
        self.sources: list[Source] = []
        self.rows: list[Row] = []
        self.no_successor: list[Source] = []  # as-of: units whose history goes nowhere
        self.spans: list[tuple[str, date, date, int, bool]] = []  # code, first, last, source,
        # in force
        self._by_code: dict[str, list[tuple[date, date, int]]] = {}
        self._build()

    # --- checks --------------------------------------------------------------------------
    def _check(self) -> None:
        registry, on = self.registry, self.on
        if self.station and not registry.known(self.station):
            raise RadioError(_("unknown station code {code} (see radiocli stations list)").format(
                code=self.station))
        if self.district and self.district not in registry.districts:
            raise RadioError(_("unknown district code {code} (see radiocli stations list)").format(
                code=self.district))
        if on is None:
            if self.district and not any(
                    registry.districts_on(first).get(self.district)
                    for first, _last in registry.periods(self.start, self.end)):
                last, _units = registry.district_before(self.district, self.start)
                raise RadioError(_("district {code} {name} has no units between {start} and "
                                   "{end} (its last day was {last}): report its units by "
                                   "--station, or choose a period before {after}").format(
                    code=self.district, name=registry.districts[self.district].name,
                    start=self.start, end=self.end, last=last,
                    after=(last + timedelta(days=1)) if last else self.start))
            return
        later = [d for d in registry.change_days if on < d <= self.end]
        if later:
            raise RadioError(_("--as-of {on}: the units of {day} (within the period) began "
                               "after it, so their history cannot be rolled back to {on}; "
                               "choose --as-of {day} or later").format(on=on, day=later[-1]))
        if self.district and self.district not in registry.districts_on(on):
            last, _units = registry.district_before(self.district, on)
            raise RadioError(_("district {code} {name} has no units on {on} (its last day was "
                               "{last}): leave out --as-of to report the days it existed, or "
                               "leave out --district").format(
                code=self.district, name=registry.districts[self.district].name, on=on,
                last=last))
        if self.station and registry.unit(self.station, on) is None:
            raise RadioError(_("no unit holds code {code} on {on}: choose a code of the units "
                               "of that day (radiocli stations list --on {on})").format(
                code=self.station, on=on))

    # --- building ------------------------------------------------------------------------
    def _build(self) -> None:
        registry, on = self.registry, self.on
        versions: dict[tuple[UnitKey, str, str, str], Source] = {}
        spans: list[tuple[str, date, date, Source, bool]] = []
        for code, first, last, unit in registry.attribution(self.start, self.end):
            version = (unit.key, unit.name, unit.kind, unit.district)
            source = versions.get(version)
            if source is None:
                source = versions[version] = Source(len(versions), unit)
            in_force = unit.in_force(first)  # a span lies within one period of the registry
            if in_force:
                source.add(first, last)
            spans.append((code, first, last, source, in_force))
        rolled = registry.roll_up(on) if on is not None else {}
        rows: dict[object, Row] = {}
        if on is not None:
            empty = {st.key for st in registry.without_history(on)}
            for st in registry.as_of(on).values():
                if self._in_scope(st):
                    rows[st.key] = Row(0, st, listed=True, carried=st.key not in empty or (
                        st.valid_from is not None and st.valid_from <= self.start))
        for version, source in versions.items():
            target = rolled.get(source.key) if on is not None else None
            key: object = version
            if target is None:  # the default view, or nothing of ``on`` carries it
                target = source.station
                if on is not None and source.in_force:
                    self.no_successor.append(source)
            else:
                key = target.key
            if not self._in_scope(target):
                continue
            row = rows.get(key)
            if row is None:
                row = rows[key] = Row(0, target)
            row.sources.append(source.id)
            if source.in_force and key == version:
                row.listed = True
        by_id = {s.id: s for s in versions.values()}

        def order(row: Row) -> tuple[bool, str, str, date, date]:
            """By district (units without one last: they came later), code, unit, days."""
            firsts = [by_id[i].first for i in row.sources]
            return (not row.station.district, row.station.district, row.code,
                    row.station.valid_from or date.min,
                    min((f for f in firsts if f is not None), default=self.start))

        ordered = sorted(rows.values(), key=order)
        kept: list[Source] = []
        for row_id, row in enumerate(ordered):
            row.id = row_id
            for i in row.sources:
                by_id[i].row = row_id
                kept.append(by_id[i])
        # sources numbered in report order, so that ids index self.sources
        kept.sort(key=lambda s: (s.row, s.first or date.max))
        renumber = {s.id: n for n, s in enumerate(kept)}
        for row in ordered:
            row.sources = sorted(renumber[i] for i in row.sources)
        for s in kept:
            s.id = renumber[s.id]
        self.sources, self.rows = kept, ordered
        for code, first, last, source, in_force in spans:
            if source.row >= 0:
                self.spans.append((code, first, last, source.id, in_force))
                self._by_code.setdefault(code, []).append((first, last, source.id))

    def _in_scope(self, st: Station) -> bool:
        if self.district and st.district != self.district:
            return False
        return not self.station or st.code == self.station

    # --- questions -----------------------------------------------------------------------
    def source_of(self, code: str, day: date) -> Source | None:
        """The source a line under ``code`` on ``day`` counts for (None: out of scope)."""
        for first, last, source in self._by_code.get(code, ()):
            if first <= day <= last:
                return self.sources[source]
        return None

    def codes(self) -> list[str]:
        """Every code a line in scope may be written under, sorted."""
        return sorted(self._by_code)

    def listed_codes(self) -> list[str]:
        """The codes of the sources in force in the period (what a plan covers)."""
        return sorted({s.station.code for s in self.sources if s.in_force})

    @property
    def has_districts(self) -> bool:
        """Do the units of the period have a district level (False once districts are
        abolished)? Units listed only because lines were written under their code after
        they ended do not count."""
        return any(row.station.district for row in self.rows if row.listed)

    def partial(self, source: Source) -> bool:
        """Was the source in force on only part of the period (a change inside it)?"""
        return source.in_force < self.days

    def units_of_period(self) -> int:
        """How many units (not versions) were in force in the period, in scope."""
        return len({s.key for s in self.sources if s.in_force})

    def changes_within(self) -> list[date]:
        return [d for d in self.registry.change_days if self.start < d <= self.end]

    # --- words ---------------------------------------------------------------------------
    def span_text(self, source: Source, lang: str) -> str:
        """The days of the period a source covers, when not all of them."""
        if not self.partial(source):
            return ""
        if source.first is None or source.last is None:
            return H(lang, "không hoạt động trong kỳ", "not in force in the period")
        if source.first > self.start and source.last < self.end:
            return H(lang, f"{source.first:%d/%m/%Y}-{source.last:%d/%m/%Y}",
                     f"{source.first} to {source.last}")
        if source.first > self.start:
            return H(lang, f"từ {source.first:%d/%m/%Y}", f"from {source.first}")
        return H(lang, f"đến {source.last:%d/%m/%Y}", f"until {source.last}")

    def notes(self, lang: str) -> list[str]:
        """What the reader must know about the units: changes within the period, the
        as-of rule and the units it leaves without history, districts that ceased."""
        out: list[str] = []
        registry, on = self.registry, self.on
        changes = self.changes_within()
        abolished = [d for d in changes if not registry.districts_on(d)
                     and registry.districts_on(d - timedelta(days=1))]
        if self.station and not any(s.in_force for s in self.sources):
            st = registry.holder(self.station, self.start)
            if st is not None:
                out.append(H(
                    lang,
                    f"{st.name} ({st.code}) không có hiệu lực trong kỳ báo cáo (từ "
                    f"{_day(st.valid_from, lang)} đến {_day(st.valid_to, lang)}).",
                    f"{st.name} ({st.code}) was not in force in the period (in force from "
                    f"{_day(st.valid_from, lang)} to {_day(st.valid_to, lang)})."))
        if on is None:
            if changes:
                days = ", ".join(f"{d:%d/%m/%Y}" if lang == "vi" else str(d) for d in changes)
                out.append(H(
                    lang,
                    f"Đơn vị hành chính thay đổi trong kỳ ({days}): mỗi buổi phát được tính "
                    "cho đơn vị đã phát, với mã, tên và quận, huyện của ngày phát; đơn vị "
                    "đổi tên hoặc thôi tồn tại có một dòng cho mỗi khoảng thời gian. Dùng "
                    "--as-of NGÀY để quy số liệu về các đơn vị của một ngày.",
                    f"Administrative units changed within the period ({days}): each session "
                    "counts for the unit that aired it, with its code, name and district of "
                    "that day; a unit renamed or ended has a row for each span. Use --as-of "
                    "DATE to roll the figures up to the units of one date."))
            for day in abolished:
                out.append(H(
                    lang,
                    f"Từ {day:%d/%m/%Y} không còn cấp quận, huyện: các đơn vị từ ngày đó không "
                    "thuộc quận, huyện nào.",
                    f"Districts were abolished on {day}: the units from that day belong to no "
                    "district."))
            if self.district:
                ended = [d for d in changes if self.district not in registry.districts_on(d)
                         and self.district in registry.districts_on(d - timedelta(days=1))]
                for day in ended[:1]:
                    name = registry.districts[self.district].name
                    out.append(H(
                        lang,
                        f"{name} không còn từ {day:%d/%m/%Y}: báo cáo tính các đơn vị của "
                        f"{name} đến ngày {day - timedelta(days=1):%d/%m/%Y}.",
                        f"{name} ceased on {day}: the report counts its units until "
                        f"{day - timedelta(days=1)}."))
            return out
        assert on is not None
        n = len(self.rows)
        out.append(H(
            lang,
            f"Số liệu được quy về {n} đơn vị hành chính ngày {on:%d/%m/%Y}: lịch sử của đơn "
            "vị bị nhập được tính cho đơn vị nhận nó, lịch sử của đơn vị bị chia được tính "
            "cho đơn vị kế thừa chính (quy tắc đơn vị kế thừa chính; xem docs/reports.md).",
            f"Figures rolled up to the {n} administrative units of {on}: a merged unit's "
            "history counts for the unit it merged into, a divided unit's for its main "
            "successor (the main-successor rule; see docs/reports.md)."))
        for row in self.rows:
            if row.carried:
                continue
            st = row.station
            before = st.valid_from - timedelta(days=1) if st.valid_from else self.start
            parts = registry.predecessors(st.code, on, before)
            named = ", ".join(f"{p.name} ({p.code})" for p in parts)
            mains = sorted({m.name for m in (registry.successor(p.code, before, on)
                                             for p in parts) if m is not None})
            out.append(H(
                lang,
                f"Theo quy tắc đơn vị kế thừa chính, {st.name} ({st.code}) không nhận lịch sử "
                "nào: đơn vị này được lập từ một phần của "
                f"{named or 'các đơn vị khác'}, mà phần chính của mỗi đơn vị đó thuộc đơn vị "
                f"khác ({', '.join(mains)}); số buổi và số phút phát trước ngày "
                f"{st.valid_from:%d/%m/%Y} ở địa bàn của nó được tính cho các đơn vị đó.",
                f"Under the main-successor rule {st.name} ({st.code}) receives no history: it "
                f"was formed from parts of {named or 'other units'}, whose main parts went to "
                f"other units ({', '.join(mains)}); what aired in its area before "
                f"{st.valid_from} counts for those units."))
        for source in self.no_successor:
            st = source.station
            out.append(H(
                lang,
                f"{st.name} ({st.code}) không có đơn vị kế thừa ngày {on:%d/%m/%Y}; số liệu của "
                "nó được tính riêng dưới tên của nó.",
                f"{st.name} ({st.code}) has no successor on {on}; its figures are counted "
                "under its own name."))
        return out


def _day(day: date | None, lang: str) -> str:
    if day is None:
        return "…"
    return f"{day:%d/%m/%Y}" if lang == "vi" else day.isoformat()
