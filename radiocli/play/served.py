"""Which units a daemon serves on each day: the stations and districts it was started
for (nothing chosen: every unit), as the registry has them on that day, and why a chosen
one has no unit that day (not yet in force, ceased and to whom it passed, a district
after 2025-07-01)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from radiocli.errors import PlayoutError
from radiocli.i18n import _, day_text
from radiocli.schedule.model import Schedule, Targets


class Served:
    def __init__(self, stations: Sequence[str] | None, districts: Sequence[str]) -> None:
        self.stations: tuple[str, ...] = tuple(stations or ())
        self.districts: tuple[str, ...] = tuple(districts)

    def select(self, schedule: Schedule, day: date) -> list[str]:
        """The stations this daemon serves on ``day``: the chosen codes and the units of
        the chosen districts in force that day (nothing chosen: every unit)."""
        registry = schedule.registry
        unknown = [c for c in self.stations if not registry.known(c)]
        if unknown:
            raise PlayoutError(_("unknown station code(s): {codes} (see `radiocli stations "
                                 "list`)").format(codes=", ".join(unknown)))
        reached = registry.select(self.chosen(), day)
        # the codes asked for by name first, in their order
        return list(dict.fromkeys([*(c for c in self.stations if c in reached),
                                   *reached]))

    def chosen(self) -> Targets:
        """The stations and districts this daemon serves, as a program's targets (nothing
        chosen: every unit), so that ``Registry.select`` says which units they are on
        each day, as it does for programs."""
        stations = frozenset(self.stations)
        districts = frozenset(self.districts)
        return Targets(everywhere=not stations and not districts, districts=districts,
                       stations=stations)

    def absent(self, schedule: Schedule, day: date) -> list[str]:
        """Why chosen stations or districts have no unit on ``day`` (for the log)."""
        registry = schedule.registry
        reached = registry.select(self.chosen(), day)
        out = []
        for code in self.stations:
            if code in reached:
                continue
            units = registry.history(code)
            later = [u for u in units if u.valid_from is not None and u.valid_from > day]
            if later:
                out.append(_("station {code} is in force from {day}").format(
                    code=code, day=day_text(str(later[0].valid_from))))
                continue
            last = max((u.valid_to for u in units if u.valid_to is not None), default=None)
            heirs = registry.successors(code, last, day) if last else ()
            if heirs:
                out.append(_("station {code} ceased after {last}; its units on {day}: "
                             "{units}").format(
                    code=code, last=day_text(last) if last else "?", day=day_text(day),
                    units=", ".join(f"{u.code} {u.name}" for u in heirs)))
            else:
                out.append(_("station {code} ceased after {last}").format(
                    code=code, last=day_text(last) if last else "?"))
        for district in self.districts:
            if not registry.select(Targets(districts=frozenset({district})), day):
                out.append(_("district {district} has no units on {day}").format(
                    district=district, day=day_text(day))
                    + (_(" (districts were abolished: choose the units with --station, see "
                         "`radiocli stations list --on DAY`)")
                       if not registry.districts_on(day) else ""))
        return out
