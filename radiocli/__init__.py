"""radiocli: broadcast scheduling toolkit for community loudspeaker radio.

The package is laid out as the pipeline, arrows pointing forward only:

    schedule -> plan -> render -> play -> aslog -> report

`trust` (signed approval bundles) sits beside `schedule`; `cli` wraps it all.
Core packages never import click or rich and never read the environment.

``TIMEZONE`` names the one time zone of every schedule, log and report, and ``TZ`` is
its ``ZoneInfo`` (``from radiocli import TZ``): the only one radiocli makes, on first
use (``radiocli --help`` does not pay the 3 ms of zoneinfo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
TIMEZONE = "Asia/Ho_Chi_Minh"

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    TZ: ZoneInfo


def __getattr__(name: str) -> object:
    if name == "TZ":
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(TIMEZONE)
        globals()["TZ"] = zone
        return zone
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
