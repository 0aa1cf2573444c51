"""Reading a policy profile (``policy:``): quiet hours, rules, exemption periods."""

from __future__ import annotations

from radiocli.i18n import _
from radiocli.schedule import values
from radiocli.schedule.model import Exemption, Policy, PolicyRule, Priority, Targets
from radiocli.schedule.nodes import Nodes
from radiocli.schedule.programs import read_days
from radiocli.schedule.yamlfile import Node


def read_policy(r: Nodes, node: Node) -> Policy | None:
    fields = r.mapping(node, "policy", "policy")
    name = r.optional_text(fields, "name")
    if not name:
        r.problem(node, _("a policy needs a name:"), code="missing")
        return None
    quiet = r.optional(fields, "quiet_hours", values.parse_span)
    exempt = frozenset({Priority.EMERGENCY})
    if "exempt_priorities" in fields:
        exempt_set = set()
        for item, raw in r.texts(fields["exempt_priorities"][1], "exempt_priorities"):
            try:
                exempt_set.add(Priority.parse(values.parse_choice(raw, values.PRIORITIES)))
            except ValueError:
                r.problem(item, _('unknown priority "{value}"').format(value=raw),
                          _("normal, priority or emergency"), code="format")
        exempt = frozenset(exempt_set)
    exemptions = []
    if "exemptions" in fields:
        for item in r.items(fields["exemptions"][1], "exemptions"):
            ef = r.mapping(item, "exemption", _("exemption"))
            start = r.optional(ef, "from", values.parse_date)
            end = r.optional(ef, "until", values.parse_date)
            if start is None or end is None:
                r.problem(item, _("an exemption needs from: and until: dates"), code="missing")
                continue
            reason = r.optional_text(ef, "reason") or ""
            exemptions.append(Exemption(start, end, reason, r.where(item)))
    rules = []
    if "rules" in fields:
        for item in r.items(fields["rules"][1], "rules"):
            rule = read_policy_rule(r, item)
            if rule:
                rules.append(rule)
    title = r.optional_text(fields, "title") or ""
    return Policy(name, title, quiet, tuple(rules), exempt, tuple(exemptions), r.where(node))


def read_policy_rule(r: Nodes, node: Node) -> PolicyRule | None:
    fields = r.mapping(node, "policy_rule", _("policy rule"))
    name = r.optional_text(fields, "name")
    if not name:
        r.problem(node, _("a policy rule needs a name:"), code="missing")
        return None

    def listed(key: str) -> frozenset[str]:
        return frozenset(v for _n, v in r.texts(fields[key][1], key)) if key in fields \
            else frozenset()

    targets = Targets(False, listed("districts"), r.choices(fields, "kinds", values.STATION_KINDS),
                      r.choices(fields, "district_kinds", values.DISTRICT_KINDS),
                      listed("stations"))
    if targets.is_empty():
        targets = Targets(everywhere=True)
    emergency_only = r.boolean(fields["emergency_only"][1], "emergency_only") \
        if "emergency_only" in fields else False
    max_sessions = r.integer(fields["max_sessions_per_day"][1], "max_sessions_per_day",
                             0, 100) if "max_sessions_per_day" in fields else None
    max_minutes = r.number(fields["max_session_minutes"][1], "max_session_minutes") \
        if "max_session_minutes" in fields else None
    days = read_days(r, fields["days"][1], "days") if "days" in fields else None
    windows = []
    if "windows" in fields:
        for item, _raw in r.texts(fields["windows"][1], "windows"):
            span = r.value(item, "windows", values.parse_span)
            if span:
                windows.append(span)
    return PolicyRule(name, targets, bool(emergency_only), max_sessions, max_minutes, days,
                      tuple(windows), r.where(node))
