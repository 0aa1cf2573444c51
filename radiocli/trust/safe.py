"""Reading what an attacker may have written: bundles, public keys, signatures, files.

- JSON: duplicate keys are refused (two readers must never see two different bundles in
  the same bytes) and so is nesting deep enough to exhaust the parser.
- base64: only the one canonical spelling of the bytes is accepted, so a signature
  cannot be re-spelled (unused low bits set) to look like a new one.
- files: opened without blocking and hashed only when they are regular files, so a FIFO
  or a device named like a schedule or an audio file cannot freeze a reader.
- text shown in a message: control characters are escaped, so a name in a bundle
  cannot forge a line of a log or a terminal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from radiocli.errors import TrustError
from radiocli.i18n import _, os_reason

MAX_JSON_DEPTH = 32


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f'duplicate key "{shown(key, 40)}"')
        out[key] = value
    return out


def _depth(data: Any) -> int:
    """How deeply lists and objects nest (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def loads_strict(data: bytes | str, what: str) -> Any:
    """Parse JSON, refusing duplicate keys and nesting deeper than MAX_JSON_DEPTH;
    TrustError("<what>: ...") otherwise."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        parsed = json.loads(text, object_pairs_hook=_no_duplicates)
    except DuplicateKey as exc:
        raise TrustError(_("{what}: {error}: refused (a reader could see either value)").format(
            what=what, error=exc)) from None
    except RecursionError:
        raise TrustError(_("{what}: nested far deeper than any radiocli file").format(
            what=what)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrustError(_("{what}: not valid JSON ({error})").format(
            what=what, error=shown(str(exc), 120))) from None
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise TrustError(_("{what}: nested deeper than {n} levels; not a radiocli file").format(
            what=what, n=MAX_JSON_DEPTH))
    return parsed


def b64decode_strict(text: object, what: str) -> bytes:
    """The bytes of canonical base64 ``text``; TrustError for any other spelling."""
    if not isinstance(text, str) or not text.isascii():
        raise TrustError(_("{what}: not base64 text").format(what=what))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TrustError(_("{what}: not base64 ({error})").format(what=what, error=exc)) from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise TrustError(_("{what}: not the canonical base64 spelling of its bytes (refused: a "
                           "re-spelled copy must not pass for a new one)").format(what=what))
    return raw


def shown(text: object, limit: int = 80) -> str:
    """``text`` safe to put in a message: control characters escaped, cut at ``limit``."""
    out = []
    for ch in str(text)[:limit]:
        code = ord(ch)
        if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(str(text)) > limit else "")


def open_regular(path: Path, what: str, *, follow: bool = True) -> int:
    """A read-only descriptor of ``path``, which must be a regular file: never blocks on
    a FIFO or a device; with ``follow=False`` a symbolic link is refused too."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow and os.path.islink(path):
            raise TrustError(_("{path}: {what} is a symbolic link; radiocli reads only regular "
                               "files there").format(path=shown(path, 200), what=what)) from None
        raise TrustError(_("{path}: cannot read the {what}: {reason}").format(
            path=shown(path, 200), what=what, reason=os_reason(exc))) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise TrustError(_("{path}: {what} is {kind}, not a regular file; remove it").format(
                path=shown(path, 200), what=what, kind=kind_of(mode)))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return _("a symbolic link")
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe)")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISDIR(mode):
        return _("a folder")
    return _("not a regular file")


def read_regular(path: Path, what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``; TrustError past it)."""
    fd = open_regular(path, what)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TrustError(_("{path}: the {what} is larger than {limit} MB; refused").format(
            path=shown(path, 200), what=what, limit=limit // (1024 * 1024) or 1))
    return data


def sha256_file(path: Path, what: str = "file", *, follow: bool = True) -> str:
    """SHA-256 (hex) of a regular file; TrustError for anything else."""
    digest = hashlib.sha256()
    fd = open_regular(path, what, follow=follow)
    with os.fdopen(fd, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
