"""What a key may approve, and where its alerts may air.

Scope is judged by where things air, not by the file they sit in, and with a registry
the city approved, never with one the key being judged could have written:

- city-wide facts (the registry's ``units:``, ``districts:`` and ``changes:``,
  ``settings:``, ``policy:``, ``holidays:``, and ``abbreviations:`` in a file without
  ``district:`` or ``station:``, which apply city-wide) need the city role in whatever
  file they are written;
- a district key may approve programs and blackouts only when every station they reach,
  on every day the approval is valid, is in its districts that day; a station key only
  its stations;
- an emergency key with codes may alert only its districts and stations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from radiocli import TZ
from radiocli.errors import TrustError
from radiocli.i18n import _
from radiocli.trust.keys import PublicKey
from radiocli.trust.safe import shown

CITY_FACTS = ("units", "districts", "changes", "settings", "policy", "holidays")
MAX_LISTED = 5  # stations named in a refusal


def _roles(key: PublicKey) -> str:
    return f"{', '.join(sorted(key.roles))}, {key.scope_text()}"


def city_facts(path: Path) -> list[str]:
    """The top-level keys of a schedule file that change city-wide facts."""
    from radiocli.schedule.yamlfile import MappingNode, ScalarNode, YamlProblem, parse, \
        read_text

    try:
        node = parse(read_text(path, str(path)), str(path))
    except YamlProblem as exc:
        raise TrustError(str(exc)) from None
    if not isinstance(node, MappingNode):
        return []
    keys = [k.value for k, _v in node.value if isinstance(k, ScalarNode)]
    found = [k for k in keys if k in CITY_FACTS]
    if "abbreviations" in keys and "district" not in keys and "station" not in keys:
        found.append(_("abbreviations (in a file without district: or station: they apply "
                       "city-wide)"))
    return found


def registry_days(registry, start: datetime, end: datetime) -> list[date]:  # noqa: ANN001
    """One day per state the registry is in between ``start`` and ``end`` (its first day,
    then every day a dated change applies), in Hanoi time."""
    first, last = start.astimezone(TZ).date(), end.astimezone(TZ).date()
    return [first] + sorted({c.day for c in registry.changes if first < c.day <= last})


def _outside(key: PublicKey, reached: dict[date, Iterable[str]], registry  # noqa: ANN001
             ) -> list[str]:
    """Stations reached (day -> codes) this key may not approve for; a station counts
    with the district it is in on that day."""
    out: dict[str, str] = {}
    for day, codes in reached.items():
        current = registry.as_of(day)
        for code in codes:
            station = current.get(code)
            if station is None:  # not on air that day (merged, not yet added)
                continue
            if code not in out and not key.approves_station(code, station.district):
                out[code] = (f"{code} (district {station.district or 'none'} from "
                             f"{day.isoformat()})")
    return list(out.values())


def _refuse_outside(key: PublicKey, what: str, outside: list[str]) -> None:
    more = _(" and {n} more").format(n=len(outside) - MAX_LISTED) \
        if len(outside) > MAX_LISTED else ""
    raise TrustError(_('key "{name}" ({roles}) cannot approve {what}: it reaches stations '
                       "outside the key's scope: {stations}{more}").format(
        name=key.name, roles=_roles(key), what=what,
        stations=", ".join(outside[:MAX_LISTED]), more=more))


def check_approval_scope(key: PublicKey, files: dict[str, Path], programs: Iterable,
                         blackouts: Iterable, registry, start: datetime, end: datetime,  # noqa: ANN001
                         *, city_registry: bool) -> None:
    """May ``key`` approve the schedule ``files`` (relative path -> file), which hold
    ``programs`` and ``blackouts``, for the period ``start`` to ``end``? ``registry`` is
    the one the city approved (``city_registry``: the bundle's registry files are
    approved by a city key, which the caller checked). TrustError says what is outside."""
    if "city" in key.roles:
        return
    if not key.roles & {"district", "station"}:
        raise TrustError(_('key "{name}" has the roles {roles}; approving schedules needs the '
                           "city, district or station role").format(
            name=key.name, roles=", ".join(sorted(key.roles))))
    if not key.districts and not key.stations:
        raise TrustError(_('key "{name}" ({roles}) names no district or station, so it may '
                           "approve nothing; make a key with --district or --station").format(
            name=key.name, roles=", ".join(sorted(key.roles))))
    for rel, path in sorted(files.items()):
        facts = city_facts(path)
        if facts:
            raise TrustError(_('key "{name}" ({roles}) cannot approve {path}: it holds {facts}, '
                               "which need the city role wherever they are written").format(
                name=key.name, roles=_roles(key), path=rel, facts=", ".join(facts)))
    if not city_registry or len(registry) == 0:
        raise TrustError(_("key \"{name}\" ({roles}) approves programs for its stations, but no "
                           "station registry in this bundle is approved by a city key; approve "
                           "the registry with the city key first").format(
            name=key.name, roles=_roles(key)))
    days = registry_days(registry, start, end)
    for program in programs:
        outside = _outside(key, {d: registry.select(program.targets, d) for d in days},
                           registry)
        if outside:
            _refuse_outside(key, _("program {id} ({where})").format(
                id=program.id, where=program.where), outside)
    for blackout in blackouts:
        outside = _outside(key, {d: sorted(blackout.stations) for d in days}, registry)
        if outside:
            _refuse_outside(key, _("the blackout at {where}").format(where=blackout.where),
                            outside)


# --- alerts ------------------------------------------------------------------------------


def alert_targets(alert: dict) -> tuple[bool, list[str], list[str]]:
    """(all, districts, stations) of a signed alert; TrustError when malformed."""
    everywhere = alert.get("all", False)
    districts = alert.get("districts") or []
    stations = alert.get("stations") or []
    if not isinstance(everywhere, bool) or not all(
            isinstance(x, list) and all(isinstance(c, str) for c in x)
            for x in (districts, stations)):
        raise TrustError(_("the alert's targets are malformed (all: true/false, districts and "
                           "stations: lists of codes)"))
    return everywhere, list(districts), list(stations)


def alert_outside(key: PublicKey, alert: dict, registry, day: date) -> list[str]:  # noqa: ANN001
    """The targets of ``alert`` that ``key``'s emergency scope does not cover, resolved
    with ``registry`` (the one the city approved) on ``day``; [] when all are covered."""
    everywhere, districts, stations = alert_targets(alert)
    if not key.districts and not key.stations:
        return []
    outside = []
    if everywhere:
        outside.append(_("all stations"))
    outside += [f"district {shown(d, 10)}" for d in districts if d not in key.districts]
    current = registry.as_of(day) if registry is not None else None
    for code in stations:
        if code in key.stations:
            continue
        if current is None:
            outside.append(_("station {code} (no registry to find its district)").format(
                code=shown(code, 10)))
            continue
        station = current.get(code)
        if station is None:
            outside.append(_("station {code} (not in the registry on {day})").format(
                code=shown(code, 10), day=day.isoformat()))
        elif not key.alerts_station(code, station.district):
            outside.append(_("station {code} (district {district})").format(
                code=code, district=station.district or _("none")))
    return outside


def check_alert_scope(key: PublicKey, alert: dict, registry, day: date) -> None:  # noqa: ANN001
    """TrustError naming the targets of ``alert`` outside ``key``'s scope."""
    outside = alert_outside(key, alert, registry, day)
    if outside:
        raise TrustError(f'key "{key.name}" may alert {key.scope_text()} only; the alert '
                         f"targets {', '.join(outside[:MAX_LISTED])}"
                         + (f" and {len(outside) - MAX_LISTED} more" if len(outside) >
                            MAX_LISTED else "") + " outside it")
