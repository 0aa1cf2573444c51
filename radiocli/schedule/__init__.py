"""Schedules: the registry, the YAML language, loading and validation."""

from __future__ import annotations

from radiocli.schedule.load import load, read

__all__ = ["load", "read"]
