"""Schedules: the registry, the YAML language, loading and validation.

Loading is :mod:`radiocli.schedule.load` (``load``, ``read``); it is not imported here,
so that a command that only parses a date (:mod:`radiocli.schedule.values`) does not
pay for the YAML loader."""
