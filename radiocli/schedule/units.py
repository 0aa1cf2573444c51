"""Reading the station registry's files (``districts:``, ``units:``, ``changes:``) into a
:class:`Registry`. Read before everything else: programs name stations by code."""

from __future__ import annotations

from pathlib import Path

from radiocli.i18n import _
from radiocli.schedule import values
from radiocli.schedule.nodes import Nodes
from radiocli.errors import Problem
from radiocli.schedule.registry import (
    ACTIONS, DISTRICT_KINDS, STATION_KINDS, Change, District, Registry, Station, parse_position,
)
from radiocli.schedule.yamlfile import MappingNode, Node, ScalarNode

def read_registry(r: Nodes, docs: list[tuple[str, Path, MappingNode]]) -> Registry:
    districts: dict[str, District] = {}
    stations: dict[str, Station] = {}
    raw_units: list[tuple[str, Node, dict[str, str]]] = []
    changes: list[Change] = []
    for shown, _path, node in docs:
        r.file = shown
        top = r.mapping(node, "file", "the file")
        if "districts" in top:
            for code, body in r.mapping(top["districts"][1], "", "districts").items():
                fields = r.mapping(body[1], "district", f"district {code}")
                name = r.optional_text(fields, "name")
                kind = r.optional_text(fields, "kind")
                if kind not in DISTRICT_KINDS:
                    r.problem(body[1], _("district {code}: kind must be one of {kinds}").format(
                        code=code, kinds=", ".join(DISTRICT_KINDS)), code="format")
                districts[code] = District(code, name or code, kind or "")
        if "units" in top:
            for item in r.items(top["units"][1], "units"):
                fields = r.mapping(item, "unit", "unit")
                got = {k: r.text(v[1], k) for k, v in fields.items()}
                if all(got.get(k) for k in ("code", "name", "kind", "district")):
                    raw_units.append((shown, item, {k: v for k, v in got.items() if v}))
                else:
                    r.problem(item, _("a unit needs code, name, kind and district"),
                              code="missing")
        if "changes" in top:
            changes.extend(read_changes(r, top["changes"][1]))
    for shown, item, unit in raw_units:
        r.file = shown
        code = unit["code"]
        district = districts.get(unit["district"])
        if code in stations:
            r.problem(item, _("station code {code} is listed twice").format(code=code),
                      code="duplicate")
        if district is None:
            r.problem(item, _("unit {code}: unknown district {district}").format(
                code=code, district=unit["district"]), code="unknown-district")
        if unit["kind"] not in STATION_KINDS:
            r.problem(item, _("unit {code}: kind must be one of {kinds}").format(
                code=code, kinds=", ".join(STATION_KINDS)), code="format")
        try:
            lat, lon = parse_position(unit.get("lat"), unit.get("lon"))
        except ValueError as exc:
            r.problem(item, _("unit {code}: {error}").format(code=code, error=exc), code="format")
            lat = lon = None
        stations[code] = Station(code, unit["name"], unit["kind"], unit["district"],
                                 district.name if district else "",
                                 district.kind if district else "", lat, lon)
    registry = Registry(stations.values(), districts.values(), changes)
    for change, message in registry.problems:
        r.problems.append(Problem(*change.origin, message,
                                  _("see schedules/registry/changes.yaml's header"), "change"))
    return registry


def read_changes(r: Nodes, node: Node) -> list[Change]:
    out = []
    for item in r.items(node, "changes"):
        fields = r.mapping(item, "change", "change")
        day = r.optional(fields, "date", values.parse_date)
        if day is None:
            r.problem(item, _("a change needs a date it applies from"), code="missing")
            continue
        note = r.optional_text(fields, "note") or ""
        actions = [k for k in ACTIONS if k in fields]
        if len(actions) != 1:
            r.problem(item, _("a change is exactly one of {actions}").format(
                actions=", ".join(ACTIONS)), code="format")
            continue
        action = actions[0]
        body = {k: v[1] for k, v in r.mapping(fields[action][1], "", action).items()}
        get = {k: r.text(v, k) for k, v in body.items() if isinstance(v, ScalarNode)}
        w = r.where(item)
        origin = (w.file, w.line, w.column)
        if action == "merge":
            merged = tuple(v for _n, v in r.texts(body["stations"], "stations")) \
                if "stations" in body else ()
            into = get.get("into")
            if not into or not merged:
                r.problem(item, _("merge needs stations: [...] and into: CODE"), code="missing")
                continue
            out.append(Change(day, "merge", into, get.get("name"), None, merged, None, note,
                              origin=origin))
            continue
        station = get.get("station")
        if not station:
            r.problem(item, _("{action} needs station: CODE").format(action=action),
                      code="missing")
            continue
        if action == "split":
            parts = tuple(v for _n, v in r.texts(body["into"], "into")) \
                if "into" in body else ()
            if not parts or not get.get("main"):
                r.problem(item, _("split needs station: CODE, into: [CODES] and main: CODE (the "
                                  "part that carries its history)"), code="missing")
                continue
            out.append(Change(day, "split", station, note=note, parts=parts,
                              main=get.get("main"), origin=origin))
            continue
        try:
            lat, lon = parse_position(get.get("lat"), get.get("lon"))
        except ValueError as exc:
            r.problem(item, f"{action} {station}: {exc}", code="format")
            continue
        out.append(Change(day, action, station, get.get("name"), get.get("kind"), (),
                          get.get("district"), note, lat=lat, lon=lon, origin=origin))
    return out
