"""The normalizer's regular expressions, compiled once and kept between runs like bytecode.

``re.compile`` parses and compiles a pattern in Python; the normalizer's 50-odd patterns
(long alternations of Vietnamese words, case-insensitive) took about 9 ms at every
start, as long as eSpeak NG takes to speak a sentence (``radiocli say``). This module
keeps what ``re`` compiles them to (the SRE engine's code) in a file beside the
normalizer's own bytecode (where ``importlib.util.cache_from_source`` puts it: a
``__pycache__`` folder, or under ``sys.pycache_prefix``), and rebuilds each pattern from
it with ``_sre.compile``, which is what ``re`` itself calls last and which checks the
code it is given. The file is keyed by Python's cache tag and the SRE engine's version,
is read as a plain ``marshal`` dict of lists and numbers, and is written, like bytecode,
only when Python writes bytecode (not under ``-B`` or PYTHONDONTWRITEBYTECODE). Anything
unexpected (another Python, a damaged file, a changed ``re`` internals) falls back to
``re.compile``.
"""

from __future__ import annotations

import atexit
import marshal
import re
import sys
from pathlib import Path
from typing import Any

try:
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _VERSION: tuple[Any, ...] | None = (sys.implementation.cache_tag, _sre.MAGIC,
                                        _sre.CODESIZE)
except (ImportError, AttributeError):  # pragma: no cover - another Python implementation
    _VERSION = None

MAX_ENTRIES = 400  # patterns kept (station abbreviations make some per station)


def _cache_file() -> Path | None:
    from importlib.util import cache_from_source

    try:
        beside = Path(cache_from_source(__file__))
    except (NotImplementedError, ValueError):
        return None
    return beside.with_name(f"regex.{sys.implementation.cache_tag}.marshal")


_FILE = _cache_file() if _VERSION is not None else None
_known: dict[tuple[str, int], tuple[Any, ...]] = {}
_used: set[tuple[str, int]] = set()
_added = False


def _load() -> None:
    if _FILE is None:
        return
    try:
        data = marshal.loads(_FILE.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return
    if isinstance(data, dict) and data.get("version") == _VERSION:
        entries = data.get("patterns")
        if isinstance(entries, dict):
            _known.update(entries)


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 - re's name
    """``re.compile(pattern, flags)``, from the kept code when there is some."""
    key = (pattern, int(flags))
    entry = _known.get(key)
    if entry is not None:
        try:
            final_flags, code, groups, groupindex, indexgroup = entry
            compiled: re.Pattern[str] = _sre.compile(pattern, final_flags, code, groups,
                                                     groupindex, indexgroup)
            _used.add(key)
            return compiled
        except Exception:  # noqa: BLE001 - whatever is wrong with it, compile anew
            _known.pop(key, None)
    return _compile(pattern, int(flags), key)


def _compile(pattern: str, flags: int, key: tuple[str, int]) -> re.Pattern[str]:
    """Compile as ``re`` does (``re._compiler.compile``), keeping the code."""
    global _added
    if _VERSION is None or flags & re.DEBUG:
        return re.compile(pattern, flags)
    try:
        parsed = _parser.parse(pattern, flags)
        code = [int(c) for c in _compiler._code(parsed, flags)]  # opcodes are int subclasses
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        entry = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex,
                 tuple(indexgroup))
        compiled: re.Pattern[str] = _sre.compile(pattern, *entry)
    except re.error:
        raise
    except Exception:  # noqa: BLE001 - re's internals changed: compile the public way
        return re.compile(pattern, flags)
    _known[key] = entry
    _used.add(key)
    _added = True
    return compiled


@atexit.register
def save() -> None:
    """Write the kept code when this run compiled something new (and Python writes
    bytecode); what this run used first, then what earlier runs kept, up to
    :data:`MAX_ENTRIES`."""
    if not _added or _FILE is None or sys.dont_write_bytecode:
        return
    order = [k for k in _known if k in _used] + [k for k in _known if k not in _used]
    data = {"version": _VERSION, "patterns": {k: _known[k] for k in order[:MAX_ENTRIES]}}
    from radiocli import fileio

    try:
        _FILE.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_atomic(_FILE, marshal.dumps(data), mode=0o644, sync=fileio.Sync.NONE)
    except (OSError, ValueError):
        pass


_load()
