"""``python -m radiocli.render.normalize``: one normalized line out per line in."""

from __future__ import annotations

import sys

from .core import normalize


def main() -> int:
    """Read stdin as UTF-8 (invalid bytes replaced), write one line per line, flushed."""
    out = sys.stdout.buffer
    try:
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            try:
                spoken = normalize(line)
            except Exception:  # noqa: BLE001 - one bad line must not stop the stream
                spoken = ""
            out.write(spoken.encode("utf-8", errors="replace") + b"\n")
            out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
