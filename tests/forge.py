"""An attacker's approve: signs whatever it is given with a key, without any of the
checks ``radiocli approve`` makes, so tests can show that ``verify`` and the daemon
refuse what a modified approve (or a hand-made bundle) would sign."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

from radiocli.schedule.load import read
from radiocli.trust.bundle import (
    BUNDLE_FORMAT, BUNDLE_NAME, canonical, referenced_audio, sha256_file, system_chimes,
)
from radiocli.trust.keys import fingerprint, load_private, public_of


def approval(root: Path, key: Path, valid_from: datetime, valid_to: datetime, *,
             files: list[str] | None = None, now: datetime | None = None,
             **extra: object) -> dict:
    """One signed approval of ``files`` (paths under ``root``; default every YAML file)
    and every audio file the whole folder plays."""
    private = load_private(key)
    raw = public_of(private)
    if files is None:
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.y*ml"))
    schedule, _problems = read(root)
    audio = {**system_chimes(schedule.audio_dir), **referenced_audio(schedule)}
    manifest = {
        "format": BUNDLE_FORMAT,
        "approved_by": {"key": key.stem, "fingerprint": fingerprint(raw), "approver": ""},
        "approved_at": (now or valid_from).isoformat(timespec="seconds"),
        "valid_from": valid_from.isoformat(timespec="seconds"),
        "valid_to": valid_to.isoformat(timespec="seconds"),
        "schedules": [{"path": rel, "sha256": sha256_file(root / rel)} for rel in files],
        "audio_dir": "../audio",
        "audio": [{"path": rel, "sha256": sha256_file(path)}
                  for rel, (path, _w) in sorted(audio.items())],
        **extra,
    }
    return {"manifest": manifest, "signature": {
        "algorithm": "ed25519",
        "value": base64.b64encode(private.sign(canonical(manifest))).decode("ascii")}}


def write(root: Path, *approvals: dict) -> Path:
    bundle = root / BUNDLE_NAME
    document = approvals[0] if len(approvals) == 1 else {"approvals": list(approvals)}
    bundle.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return bundle


def forge(root: Path, key: Path, valid_from: datetime, valid_to: datetime) -> Path:
    """``approved.json`` in ``root``: every file, signed by ``key``, nothing checked."""
    return write(root, approval(root, key, valid_from, valid_to))
