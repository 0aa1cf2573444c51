"""The environment for timing radiocli as a command, as a station runs it.

Python writes compiled bytecode next to the sources the first time a module is
imported, and reads it afterwards; an installed package has it from the start. A
machine with ``PYTHONDONTWRITEBYTECODE`` set (this project's CI and build machines)
compiles radiocli's modules again at every run: about 0.1 s for ``report summary``,
which is not what a station pays. :func:`command_env` gives the commands a bytecode
folder of their own (``PYTHONPYCACHEPREFIX``), filled by the first, untimed run.
"""

from __future__ import annotations

import os
from pathlib import Path


def command_env(folder: Path, cached: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cached:
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
