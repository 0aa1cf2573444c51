"""Planning: APScheduler triggers -> occurrences per station, priorities resolved."""

from __future__ import annotations

from radiocli.plan.planner import arrivals, day_window, plan, plan_station
from radiocli.plan.timeline import Action, Occurrence, Timeline

__all__ = ["Action", "Occurrence", "Timeline", "arrivals", "day_window", "plan", "plan_station"]
