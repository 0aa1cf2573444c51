"""The errors the core raises; the CLI turns every one into a message and exit 1."""

from __future__ import annotations

from dataclasses import dataclass, field

from radiocli.i18n import _, word


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input file, located and with what to do about it.

    ``message`` and ``hint`` are in the user's language (made with ``_()`` where the
    problem is found); ``code`` and ``severity`` are fixed English words for programs.
    """

    file: str
    line: int = 0
    column: int = 0
    message: str = ""
    hint: str = ""
    code: str = "invalid"
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file

    def __str__(self) -> str:
        text = f"{self.location()}: {word('severity', self.severity)}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class RadioError(Exception):
    """A problem the user can fix; the message names the file or thing and what to do."""


@dataclass
class ScheduleError(RadioError):
    """The schedule has errors; each one is a located Problem."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        return "\n".join(str(p) for p in errors) or _("the schedule has errors")


class ToolMissing(RadioError):
    """A system tool (espeak-ng, ffmpeg, icecast2) is not installed."""

    def __init__(self, tool: str, package: str | None = None) -> None:
        package = package or tool
        super().__init__(_("{tool} is not installed; install it with: sudo apt-get install "
                           "{package}").format(tool=tool, package=package))
        self.tool = tool


class RenderError(RadioError):
    """A program's audio could not be made; the message names program and segment."""


class PlayoutError(RadioError):
    """The playout daemon cannot do what was asked (no daemon, bad clock, no device)."""


class LogError(RadioError):
    """An as-run log is unreadable, broken or tampered with."""


class TrustError(RadioError):
    """A signature, key or approved bundle does not check out."""
