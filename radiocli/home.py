"""Where radiocli keeps its data: one folder, the "home".

The CLI decides the root (``--home``, ``RADIOCLI_HOME`` or the user data directory);
the core only ever receives a :class:`Home`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.yaml"

    @property
    def logs(self) -> Path:
        """As-run logs: ``logs/<station>/<YYYY-MM-DD>.jsonl``."""
        return self.root / "logs"

    @property
    def cache(self) -> Path:
        """Rendered speech and program audio, content-addressed."""
        return self.root / "cache"

    @property
    def run(self) -> Path:
        """Daemon state: pid file, control socket, pending alerts, status."""
        return self.root / "run"

    @property
    def approved(self) -> Path:
        """Private copies of approved bundles the daemon airs (``run --trust``)."""
        return self.root / "approved"

    @property
    def aircheck(self) -> Path:
        """Recordings made by the ``file`` sink, the proof of broadcast."""
        return self.root / "aircheck"

    @property
    def rehearsal(self) -> Path:
        """Rehearsals (``run --clock``, ``run --rehearsal``): their as-run logs
        (``rehearsal/logs``) and aircheck recordings (``rehearsal/aircheck``), apart
        from the proof of broadcast and never collected with it."""
        return self.root / "rehearsal"

    def load_config(self) -> dict[str, Any]:
        """The home's ``config.yaml`` (empty when there is none)."""
        if not self.config_file.is_file():
            return {}
        import yaml

        from radiocli.errors import RadioError
        from radiocli.i18n import _, os_reason

        try:
            data = yaml.safe_load(self.config_file.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            raise RadioError(_("{file}: cannot read the configuration: {reason}").format(
                file=self.config_file, reason=reason)) from exc
        if not isinstance(data, dict):
            raise RadioError(_("{file}: the configuration must be a mapping of keys").format(
                file=self.config_file))
        return data
