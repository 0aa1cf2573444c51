"""As-run logs: the record of what actually aired (format: docs/asrun-log.md).

``LogBook`` writes them (live playout and simulation alike), ``reader`` reads them
robustly, ``verify`` re-computes the chain and reports tampering or truncation.
"""

from __future__ import annotations

from radiocli.aslog.format import genesis, line_hash
from radiocli.aslog.writer import LogBook, LogWriteError

__all__ = ["LogBook", "LogWriteError", "genesis", "line_hash"]
