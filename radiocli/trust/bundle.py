"""Approved bundles: a signed manifest of schedule files and the audio they play.

``approve()`` hashes every schedule file and every audio file those schedules reference
(``play:`` and ``chime:``), and signs the canonical JSON of that manifest with an Ed25519
key. ``verify_bundle()`` refuses, with the reason, anything that differs from what was
signed: a changed byte, a swapped audio file, an added file, a bundle out of its
validity period, a key that is not trusted or lacks the role.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from radiocli.errors import TrustError
from radiocli.trust.keys import (
    PublicKey, find_trusted, fingerprint, load_private, public_of, read_public,
)

BUNDLE_FORMAT = "radiocli-approval/1"
BUNDLE_NAME = "approved.json"
APPROVING_ROLES = ("city", "district", "station")
# chimes the playout daemon airs by itself: around emergency alerts, and in place of a
# program that cannot be played. Approved with the schedules when they exist, so a
# daemon that only airs approved audio (run --trust) has them.
SYSTEM_CHIMES = ("alert", "end")
MAX_BUNDLE_BYTES = 16 * 1024 * 1024


def canonical(data: object) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                      ).encode("utf-8")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rel(path: Path, base: Path) -> str:
    return PurePosixPath(*path.resolve().relative_to(base.resolve()).parts).as_posix()


def _aware(moment: datetime, label: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TrustError(f"{label} must carry a timezone offset, got {moment.isoformat()}")
    return moment


# --- what a schedule needs -----------------------------------------------------------


def _load(root: Path):  # noqa: ANN202 - Schedule, imported lazily
    from radiocli.errors import ScheduleError
    from radiocli.schedule import read

    schedule, problems = read(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ScheduleError(errors)
    return schedule


def referenced_audio(schedule) -> dict[str, tuple[Path, str]]:  # noqa: ANN001
    """Audio path (relative to the audio folder) -> (file, where it is named), for every
    ``play:`` and ``chime:`` of every program. TrustError when one is missing or leaves
    the audio folder."""
    from radiocli.schedule.audiofiles import chime_path, resolve_audio
    from radiocli.schedule.model import Chime, Recording

    audio_dir: Path = schedule.audio_dir
    found: dict[str, tuple[Path, str]] = {}
    for program in schedule.programs.values():
        for segment in program.segments:
            where = str(segment.where)
            if isinstance(segment, Recording):
                try:
                    path = resolve_audio(audio_dir, segment.path)
                except ValueError as exc:
                    raise TrustError(f"{where}: play: {exc}") from exc
                if not path.is_file():
                    raise TrustError(f'{where}: play: audio file "{segment.path}" does not '
                                     f"exist in {audio_dir}; add it before approving")
            elif isinstance(segment, Chime):
                chime = chime_path(audio_dir, segment.name)
                if chime is None:
                    raise TrustError(f'{where}: chime: no chime "{segment.name}" in '
                                     f"{audio_dir / 'chimes'}; add it before approving")
                path = chime.resolve()
            else:
                continue
            found.setdefault(_rel(path, audio_dir), (path, where))
    return found


def system_chimes(audio_dir: Path) -> dict[str, tuple[Path, str]]:
    """The daemon's own chimes (alert, end) that exist in the audio folder."""
    from radiocli.schedule.audiofiles import chime_path

    found: dict[str, tuple[Path, str]] = {}
    for name in SYSTEM_CHIMES:
        chime = chime_path(audio_dir, name)
        if chime is not None:
            path = chime.resolve()
            found[_rel(path, audio_dir)] = (path, f"the daemon's {name} chime")
    return found


def _files_needing_city(schedule, files: Iterable[Path]) -> list[Path]:  # noqa: ANN001
    with_programs = {Path(p.where.file).resolve() for p in schedule.programs.values()}
    return [f for f in files if f.resolve() not in with_programs]


def check_scope(key: PublicKey, schedule, files: Iterable[Path]) -> None:  # noqa: ANN001
    """A key may approve only what its roles cover: city anything; district its districts'
    programs (and their stations'); station its stations' programs."""
    if not key.roles & set(APPROVING_ROLES):
        raise TrustError(f'key "{key.name}" has the roles {", ".join(sorted(key.roles))}; '
                         f"approving schedules needs the city, district or station role")
    if "city" in key.roles:
        return
    for path in _files_needing_city(schedule, files):
        raise TrustError(f'key "{key.name}" ({", ".join(sorted(key.roles))}) cannot approve '
                         f"{path}: files without programs (registry, policy, holidays, "
                         "settings) need the city role")
    registry = schedule.registry
    for program in schedule.programs.values():
        kind, _sep, code = program.scope.partition(":")
        ok = False
        if kind == "district" and "district" in key.roles:
            ok = not key.districts or code in key.districts
        elif kind == "station":
            station = registry.base.get(code) if hasattr(registry, "base") else None
            district = getattr(station, "district", None)
            if "station" in key.roles and (not key.stations or code in key.stations):
                ok = True
            if "district" in key.roles and (not key.districts or district in key.districts):
                ok = True
        if not ok:
            raise TrustError(f'key "{key.name}" ({", ".join(sorted(key.roles))}) cannot '
                             f"approve program {program.id} ({program.where}): its scope "
                             f"{program.scope} needs a key for that level and code")


# --- approve ---------------------------------------------------------------------------


def approve(paths: Iterable[Path], key_path: Path, valid_from: datetime, valid_to: datetime,
            approver: str = "", *, now: datetime, root: Path | None = None,
            out: Path | None = None) -> Path:
    """Sign the schedule files ``paths`` (folders or files under ``root``) and the audio
    they reference; write the bundle (default ``<root>/approved.json``) and return it."""
    from radiocli.schedule.load import schedule_files

    paths = [Path(p) for p in paths]
    if not paths:
        raise TrustError("nothing to approve: name a schedules folder or files")
    valid_from = _aware(valid_from, "valid from")
    valid_to = _aware(valid_to, "valid to")
    now = _aware(now, "now")
    if valid_to <= valid_from:
        raise TrustError(f"valid to ({valid_to.isoformat()}) must be after valid from "
                         f"({valid_from.isoformat()})")
    for path in paths:
        if not path.exists():
            raise TrustError(f"{path}: no such schedule file or folder")
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path(
            os.path.commonpath([str(p.resolve() if p.is_dir() else p.resolve().parent)
                                for p in paths]))
    root = Path(root)
    files: list[Path] = []
    for path in paths:
        for f in schedule_files(path):
            try:
                f.resolve().relative_to(root.resolve())
            except ValueError:
                raise TrustError(f"{f}: is outside the schedules folder {root}") from None
            if f.resolve() not in {x.resolve() for x in files}:
                files.append(f)
    if not files:
        raise TrustError(f"no schedule files (*.yaml) in {', '.join(map(str, paths))}")
    private = load_private(Path(key_path))
    raw = public_of(private)
    pub_path = Path(key_path).with_suffix(".pub")
    name = Path(key_path).stem
    if pub_path.is_file():
        public = read_public(pub_path)
        if public.raw != raw:
            raise TrustError(f"{pub_path} does not belong to {key_path} (different key)")
        name = public.name
    schedule = _load(root)
    chosen = {f.resolve() for f in files}
    audio = {**system_chimes(schedule.audio_dir), **referenced_audio(_only(schedule, chosen))}
    manifest = {
        "format": BUNDLE_FORMAT,
        "approved_by": {"key": name, "fingerprint": fingerprint(raw), "approver": approver},
        "approved_at": now.isoformat(timespec="seconds"),
        "valid_from": valid_from.isoformat(timespec="seconds"),
        "valid_to": valid_to.isoformat(timespec="seconds"),
        "schedules": [{"path": _rel(f, root), "sha256": sha256_file(f)}
                      for f in sorted(files, key=lambda p: _rel(p, root))],
        "audio_dir": os.path.relpath(schedule.audio_dir.resolve(), root.resolve()).replace(
            os.sep, "/"),
        "audio": [{"path": rel, "sha256": sha256_file(path)}
                  for rel, (path, _where) in sorted(audio.items())],
    }
    signature = private.sign(canonical(manifest))
    bundle = {"manifest": manifest,
              "signature": {"algorithm": "ed25519",
                            "value": base64.b64encode(signature).decode("ascii")}}
    out = Path(out) if out else root / BUNDLE_NAME
    try:
        out.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
    except OSError as exc:
        raise TrustError(f"{out}: cannot write the bundle: {exc.strerror or exc}") from exc
    return out


def _only(schedule, chosen: set[Path]):  # noqa: ANN001, ANN202
    """The schedule with only the programs of the chosen files."""
    import copy

    part = copy.copy(schedule)
    part.programs = {k: p for k, p in schedule.programs.items()
                     if Path(p.where.file).resolve() in chosen}
    return part


# --- verify ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle that checked out: who approved what, valid when."""

    path: Path
    root: Path
    key: PublicKey
    approver: str
    approved_at: datetime
    valid_from: datetime
    valid_to: datetime
    schedules: tuple[str, ...]
    audio: tuple[str, ...]
    audio_dir: Path | None = None  # where the approved audio was checked
    manifest: dict | None = field(default=None, compare=False, repr=False)

    def summary(self) -> str:
        who = f"{self.key.name} ({self.key.fingerprint[:23]}…)"
        if self.approver:
            who = f"{self.approver}, key {who}"
        return (f"{self.path}: OK: {len(self.schedules)} schedule files and "
                f"{len(self.audio)} audio files approved by {who} at "
                f"{self.approved_at.isoformat()}, valid {self.valid_from.isoformat()} to "
                f"{self.valid_to.isoformat()}")


def read_bundle(bundle: Path) -> tuple[dict, bytes]:
    """The manifest and signature of a bundle file (not yet verified)."""
    bundle = Path(bundle)
    if not bundle.is_file():
        raise TrustError(f"{bundle}: no approved bundle (approve the schedules with "
                         "radiocli approve, or pass the bundle's path)")
    try:
        if bundle.stat().st_size > MAX_BUNDLE_BYTES:
            raise TrustError(f"{bundle}: too large to be an approved bundle")
        data = json.loads(bundle.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TrustError(f"{bundle}: not an approved bundle (cannot read it as JSON: "
                         f"{exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("manifest"), dict):
        raise TrustError(f"{bundle}: not an approved bundle (no manifest)")
    sig = data.get("signature")
    value = sig.get("value") if isinstance(sig, dict) else None
    if not value:
        raise TrustError(f"{bundle}: the bundle has no signature; it was not approved "
                         "(run radiocli approve)")
    try:
        signature = base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise TrustError(f"{bundle}: bad signature: not base64 ({exc})") from exc
    return data["manifest"], signature


def _entries(manifest: dict, key: str, bundle: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in manifest.get(key) or []:
        rel = str(item.get("path", "")) if isinstance(item, dict) else ""
        parts = PurePosixPath(rel).parts
        if not rel or rel.startswith(("/", "\\")) or ".." in parts or "\\" in rel:
            raise TrustError(f'{bundle}: manifest lists an unsafe path "{rel[:80]}"')
        out[rel] = str(item.get("sha256", ""))
    return out


def _time(manifest: dict, key: str, bundle: Path) -> datetime:
    try:
        moment = datetime.fromisoformat(str(manifest[key]))
    except (KeyError, ValueError) as exc:
        raise TrustError(f"{bundle}: manifest has no valid {key} ({exc})") from exc
    if moment.tzinfo is None:
        raise TrustError(f"{bundle}: manifest {key} has no timezone offset")
    return moment


def verify_bundle(bundle: Path, trusted_dir: Path, root: Path | None = None, *,
                  now: datetime, audio_dir: Path | None = None) -> VerifiedBundle:
    """Check a bundle against the trusted keys and the files on disk; TrustError on the
    first refusal, with its reason. ``root``: the schedules folder [bundle's folder];
    ``audio_dir``: the audio folder [the one the schedules name] (a private copy of
    approved files puts it elsewhere)."""
    bundle = Path(bundle)
    now = _aware(now, "now")
    manifest, signature = read_bundle(bundle)
    if manifest.get("format") != BUNDLE_FORMAT:
        raise TrustError(f'{bundle}: unknown bundle format (expected "{BUNDLE_FORMAT}")')
    by = manifest.get("approved_by")
    by = by if isinstance(by, dict) else {}
    fp, name = str(by.get("fingerprint", "")), str(by.get("key", "?"))
    key = find_trusted(fp, name, Path(trusted_dir))
    if not key.verify(signature, canonical(manifest)):
        raise TrustError(f'{bundle}: bad signature: the manifest was not signed by key "'
                         f'{key.name}" ({fp}) or was changed after signing')
    valid_from = _time(manifest, "valid_from", bundle)
    valid_to = _time(manifest, "valid_to", bundle)
    if now < valid_from:
        raise TrustError(f"{bundle}: not yet valid: valid from {valid_from.isoformat()} "
                         f"(now {now.isoformat(timespec='seconds')})")
    if now >= valid_to:
        raise TrustError(f"{bundle}: expired: valid to {valid_to.isoformat()} (now "
                         f"{now.isoformat(timespec='seconds')}); approve the schedules again")
    root = Path(root) if root is not None else bundle.parent
    schedules = _entries(manifest, "schedules", bundle)
    audio = _entries(manifest, "audio", bundle)
    _check_schedule_files(root, schedules)
    schedule = _load(root)
    if audio_dir is not None:
        schedule.audio_dir = Path(audio_dir)
    files = [root / rel for rel in schedules]
    check_scope(key, schedule, files)
    _check_audio(schedule, audio)
    return VerifiedBundle(bundle, root, key, str(by.get("approver", "")),
                          _time(manifest, "approved_at", bundle), valid_from, valid_to,
                          tuple(schedules), tuple(audio), Path(schedule.audio_dir), manifest)


def _check_hashes(base: Path, approved: dict[str, str], what: str, changed: str) -> None:
    """Every approved file under ``base`` is there with the approved SHA-256."""
    for rel, digest in approved.items():
        path = base / rel
        if not path.is_file():
            raise TrustError(f"{path}: {what} is in the bundle but missing")
        if sha256_file(path) != digest:
            raise TrustError(f"{path}: {what} {changed} since it was approved "
                             "(SHA-256 differs); approve it again")


def _check_schedule_files(root: Path, approved: dict[str, str]) -> None:
    from radiocli.schedule.load import schedule_files

    _check_hashes(root, approved, "schedule file", "changed")
    for path in schedule_files(root):
        if _rel(path, root) not in approved:
            raise TrustError(f"{path}: schedule file is not in the approved bundle; "
                             "remove it or approve the schedules again")


def _check_audio(schedule, approved: dict[str, str]) -> None:  # noqa: ANN001
    _check_hashes(Path(schedule.audio_dir), approved, "audio file", "changed or was swapped")
    for rel, (path, where) in referenced_audio(schedule).items():
        if rel not in approved:
            raise TrustError(f"{path}: audio file (named at {where}) is not in the "
                             "approved bundle; approve the schedules again")
