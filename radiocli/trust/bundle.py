"""Approved bundles: signed manifests of schedule files and the audio they play.

A bundle (``approved.json``) holds one approval or several. An approval is a manifest
(the SHA-256 of the schedule files it approves and of the audio they play, who approved,
when, valid from and to) and an Ed25519 signature over its canonical JSON. Several
levels approve the same folder: the city signs the registry, policy and its programs; a
district signs its district's file; each file is governed by the last approval in the
bundle that lists it. ``approve`` (:mod:`radiocli.trust.approval`) appends; each
approval signs the digests of the ones before it (``builds_on``), so none can be taken
out, reordered or changed. An approval of every file starts a fresh bundle.

:func:`check_bundle` is the one check, used by ``approve`` before it writes and by
``verify`` and the daemon after: every approval's key is trusted and may approve what it
approved (:mod:`radiocli.trust.scope`), its signature holds, it is within its validity,
every file is there with its approved SHA-256, and no file is there that no approval
lists. The first refusal is raised as a TrustError with its reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from radiocli.errors import RadioError, ScheduleError, TrustError
from radiocli.i18n import _, ngettext, os_reason
from radiocli.trust.keys import PublicKey, find_trusted, trusted_keys
from radiocli.trust.safe import (
    b64decode_strict, loads_strict, read_regular, sha256_file as _sha256, shown,
)
from radiocli.trust.scope import check_approval_scope

BUNDLE_FORMAT = "radiocli-approval/1"
BUNDLE_NAME = "approved.json"
APPROVING_ROLES = ("city", "district", "station")
# chimes the playout daemon airs by itself: around emergency alerts, and in place of a
# program that cannot be played. Approved with the schedules when they exist, so a
# daemon that only airs approved audio (run --trust) has them; they need the city role.
SYSTEM_CHIMES = ("alert", "end")
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
MAX_APPROVALS = 1000
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def canonical(data: object) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                      ).encode("utf-8")


def sha256_file(path: Path) -> str:
    """SHA-256 of a regular file (TrustError for a FIFO, a device, a socket)."""
    return _sha256(Path(path), _("file"))


def _rel(path: Path, base: Path) -> str:
    try:
        return PurePosixPath(*path.resolve().relative_to(base.resolve()).parts).as_posix()
    except ValueError:
        raise TrustError(_("{path}: is outside {base}").format(path=shown(path, 200),
                                                              base=base)) from None


def _aware(moment: datetime, label: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TrustError(_("{label} must carry a timezone offset, got {moment}").format(
            label=label, moment=moment.isoformat()))
    return moment


# --- the files of a schedules folder --------------------------------------------------


def schedule_files(root: Path) -> list[Path]:
    """The schedule loader's files under ``root``; a link, a FIFO, a device or a folder
    too large is refused as a TrustError naming it."""
    from radiocli.schedule.load import schedule_files as listed

    try:
        files = listed(root)
    except RadioError as exc:
        raise TrustError(str(exc)) from None
    except OSError as exc:
        raise TrustError(_("{folder}: cannot list the schedules folder: {reason}").format(
            folder=root, reason=os_reason(exc))) from None
    for path in files:
        name = path.name
        if shown(name, 10_000) != name:
            raise TrustError(_("{path}: a file name with control characters; rename it").format(
                path=shown(path, 200)))
        if unicodedata.normalize("NFC", str(path)) != str(path):
            raise TrustError(_("{path}: its name is not in Unicode NFC form (accents stored as "
                               "separate marks, as some systems save them); rename it so that "
                               "it has one spelling").format(path=path))
    return files


def _load(root: Path):  # noqa: ANN202 - Schedule, imported lazily
    from radiocli.schedule.load import read

    schedule, problems = read(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ScheduleError(errors)
    return schedule


def _audio_file(audio_dir: Path, rel: str, where: str = "") -> Path:
    from radiocli.schedule.audiofiles import resolve_audio

    try:
        return resolve_audio(audio_dir, rel)
    except ValueError as exc:
        raise TrustError(f"{where or audio_dir}: {shown(exc, 300)}") from None


def _chime(audio_dir: Path, name: str) -> Path | None:
    """The chime file ``name`` (as the daemon finds it), refused when it leaves the audio
    folder through a link or is not a regular file."""
    from radiocli.schedule.audiofiles import chime_path

    chime = chime_path(audio_dir, name)
    if chime is None:
        return None
    return _audio_file(audio_dir, PurePosixPath("chimes", chime.name).as_posix(),
                       f"chime {name}")


def program_audio(schedule, program, chimes: dict[str, Path | None] | None = None  # noqa: ANN001
                  ) -> dict[str, tuple[Path, str]]:
    """Audio path (relative to the audio folder) -> (file, where it is named) for every
    ``play:`` and ``chime:`` of ``program``. TrustError when one is missing or leaves
    the audio folder. ``chimes``: chime name -> file, found once for many programs."""
    from radiocli.schedule.model import Chime, Recording

    audio_dir: Path = schedule.audio_dir
    chimes = {} if chimes is None else chimes
    found: dict[str, tuple[Path, str]] = {}
    for segment in program.segments:
        where = str(segment.where)
        if isinstance(segment, Recording):
            path = _audio_file(audio_dir, segment.path, f"{where}: play")
            if not path.is_file():
                raise TrustError(_('{where}: play: audio file "{path}" does not exist in '
                                   "{folder}; add it before approving").format(
                    where=where, path=segment.path, folder=audio_dir))
        elif isinstance(segment, Chime):
            if segment.name not in chimes:
                chimes[segment.name] = _chime(audio_dir, segment.name)
            chime = chimes[segment.name]
            if chime is None:
                raise TrustError(_('{where}: chime: no chime "{name}" in {folder}; add it before '
                                   "approving").format(
                    where=where, name=segment.name, folder=audio_dir / "chimes"))
            path = chime
        else:
            continue
        found.setdefault(_rel(path, audio_dir), (path, where))
    return found


def referenced_audio(schedule, programs: Iterable | None = None  # noqa: ANN001
                     ) -> dict[str, tuple[Path, str]]:
    """:func:`program_audio` of every program (or of ``programs``)."""
    found: dict[str, tuple[Path, str]] = {}
    chimes: dict[str, Path | None] = {}
    for program in schedule.programs.values() if programs is None else programs:
        for rel, item in program_audio(schedule, program, chimes).items():
            found.setdefault(rel, item)
    return found


def system_chimes(audio_dir: Path) -> dict[str, tuple[Path, str]]:
    """The daemon's own chimes (alert, end) that exist in the audio folder."""
    found: dict[str, tuple[Path, str]] = {}
    for name in SYSTEM_CHIMES:
        chime = _chime(audio_dir, name)
        if chime is not None:
            found[_rel(chime, audio_dir)] = (chime, f"the daemon's {name} chime")
    return found


def _is_system_chime(rel: str) -> bool:
    path = PurePosixPath(rel)
    return len(path.parts) == 2 and path.parts[0] == "chimes" and path.stem in SYSTEM_CHIMES


# --- reading a bundle ------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: two copies of one approval are two entries
class Approval:
    """One signed approval of a bundle, as read (``key`` set once it is trusted)."""

    index: int
    manifest: dict
    signature: bytes
    key: PublicKey | None = None
    approver: str = ""
    approved_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    schedules: dict[str, str] = field(default_factory=dict)  # path -> SHA-256
    removed: frozenset[str] = frozenset()
    audio: dict[str, str] = field(default_factory=dict)

    def who(self) -> str:
        return f'"{shown(self.key.name if self.key else self.by().get("key", "?"), 64)}"'

    def by(self) -> dict:
        by = self.manifest.get("approved_by")
        return by if isinstance(by, dict) else {}

    def digest(self) -> str:
        """What a later approval signs to say it builds on this one."""
        return hashlib.sha256(canonical(self.manifest) + self.signature).hexdigest()


def read_bundle(bundle: Path) -> bytes:
    """The bytes of a bundle file (a regular file, at most MAX_BUNDLE_BYTES)."""
    bundle = Path(bundle)
    if not bundle.exists() and not bundle.is_symlink():
        raise TrustError(_("{bundle}: no approved bundle (approve the schedules with radiocli "
                           "approve, or pass the bundle's path)").format(bundle=bundle))
    return read_regular(bundle, _("approved bundle"), MAX_BUNDLE_BYTES)


def parse_bundle(data: bytes, bundle: Path) -> list[Approval]:
    """The approvals in a bundle's bytes (not yet verified)."""
    parsed = loads_strict(data, _("{bundle}: not an approved bundle").format(bundle=bundle))
    if not isinstance(parsed, dict):
        raise TrustError(_("{bundle}: not an approved bundle (no manifest)").format(
            bundle=bundle))
    if "approvals" in parsed:
        items = parsed["approvals"]
        if not isinstance(items, list) or not items or set(parsed) != {"approvals"}:
            raise TrustError(_("{bundle}: not an approved bundle (approvals must be a list and "
                               "stand alone)").format(bundle=bundle))
        if len(items) > MAX_APPROVALS:
            raise TrustError(_("{bundle}: more than {n} approvals").format(
                bundle=bundle, n=MAX_APPROVALS))
    else:
        items = [parsed]
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("manifest"), dict):
            raise TrustError(_("{bundle}: not an approved bundle (no manifest)").format(
                bundle=bundle))
        sig = item.get("signature")
        value = sig.get("value") if isinstance(sig, dict) else None
        if not value:
            raise TrustError(_("{bundle}: the bundle has no signature; it was not approved (run "
                               "radiocli approve)").format(bundle=bundle))
        signature = b64decode_strict(value, _("{bundle}: bad signature").format(bundle=bundle))
        out.append(Approval(index, item["manifest"], signature))
    return out


def _safe_rel(rel: object, bundle: Path) -> str:
    """A manifest path: relative, forward slashes, no '.', '..' or empty parts, no
    control characters, NFC (one spelling per file name)."""
    text = rel if isinstance(rel, str) else ""
    parts = text.split("/")
    if (not text or text.startswith(("/", "~")) or "\\" in text or shown(text, 10_000) != text
            or any(p in ("", ".", "..") for p in parts)
            or unicodedata.normalize("NFC", text) != text or len(text) > 1000):
        raise TrustError(_('{bundle}: manifest lists an unsafe path "{path}"').format(
            bundle=bundle, path=shown(rel)))
    return text


def _entries(manifest: dict, key: str, bundle: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    items = manifest.get(key) or []
    if not isinstance(items, list):
        raise TrustError(_("{bundle}: manifest {key} must be a list").format(
            bundle=bundle, key=key))
    for item in items:
        if not isinstance(item, dict):
            raise TrustError(_("{bundle}: manifest {key} lists something that is not a "
                               "file").format(bundle=bundle, key=key))
        rel = _safe_rel(item.get("path"), bundle)
        digest = item.get("sha256")
        if not isinstance(digest, str) or not SHA_RE.match(digest):
            raise TrustError(_('{bundle}: manifest gives "{path}" no valid SHA-256').format(
                bundle=bundle, path=rel))
        if rel in out:
            raise TrustError(_('{bundle}: manifest lists "{path}" twice').format(
                bundle=bundle, path=rel))
        out[rel] = digest
    return out


def _time(manifest: dict, key: str, bundle: Path) -> datetime:
    try:
        moment = datetime.fromisoformat(str(manifest[key]))
    except (KeyError, ValueError) as exc:
        raise TrustError(_("{bundle}: manifest has no valid {key} ({error})").format(
            bundle=bundle, key=key, error=shown(exc))) from None
    if moment.tzinfo is None:
        raise TrustError(_("{bundle}: manifest {key} has no timezone offset").format(
            bundle=bundle, key=key))
    return moment


def _read_entries(part: Approval, bundle: Path) -> None:
    """The files an approval lists (its signature is checked later, when it governs)."""
    manifest = part.manifest
    part.schedules = _entries(manifest, "schedules", bundle)
    part.audio = _entries(manifest, "audio", bundle)
    removed = manifest.get("removed") or []
    if not isinstance(removed, list):
        raise TrustError(_("{bundle}: manifest removed must be a list").format(bundle=bundle))
    part.removed = frozenset(_safe_rel(r, bundle) for r in removed)
    if part.removed & set(part.schedules):
        raise TrustError(_("{bundle}: an approval both lists and removes {path}").format(
            bundle=bundle, path=sorted(part.removed & set(part.schedules))[0]))


def _check_approval(part: Approval, keys: dict[str, PublicKey], trusted_label: Path,
                    bundle: Path, now: datetime, several: bool) -> None:
    """Format, trusted key, signature and validity of one approval."""
    manifest = part.manifest
    if manifest.get("format") != BUNDLE_FORMAT:
        raise TrustError(_('{bundle}: unknown bundle format (expected "{format}")').format(
            bundle=bundle, format=BUNDLE_FORMAT))
    by = part.by()
    fp, name = str(by.get("fingerprint", "")), str(by.get("key", "?"))
    key = find_trusted(fp, name, keys, trusted_label)
    if not key.verify(part.signature, canonical(manifest)):
        raise TrustError(_('{bundle}: bad signature: the manifest was not signed by key '
                           '"{name}" ({fingerprint}) or was changed after signing').format(
            bundle=bundle, name=key.name, fingerprint=shown(fp, 71)))
    part.key = key
    part.approver = shown(by.get("approver", ""), 200)  # signed, but shown in logs
    part.approved_at = _time(manifest, "approved_at", bundle)
    part.valid_from = _time(manifest, "valid_from", bundle)
    part.valid_to = _time(manifest, "valid_to", bundle)
    what = (_("the approval by {who}").format(who=part.who()) if several
            else _("the approval"))
    moment = now.isoformat(timespec="seconds")
    if now < part.valid_from:
        raise TrustError(_("{bundle}: {what} is not yet valid: valid from {start} (now "
                           "{now})").format(bundle=bundle, what=what,
                                            start=part.valid_from.isoformat(), now=moment))
    if now >= part.valid_to:
        raise TrustError(_("{bundle}: {what} expired: valid to {end} (now {now}); approve the "
                           "schedules again").format(bundle=bundle, what=what,
                                                     end=part.valid_to.isoformat(), now=moment))


def _check_chain(parts: list[Approval], checked: list[Approval], bundle: Path) -> None:
    """Each checked approval signed the digests of every approval before it: none of
    them can be removed, reordered or changed (only the newest can go, which is a return
    to the bundle as it was before it: see SECURITY.md)."""
    for part in checked:
        builds_on = part.manifest.get("builds_on", [])
        if builds_on != [p.digest() for p in parts[:part.index]]:
            raise TrustError(_("{bundle}: the approvals before the one by {who} are not the "
                               "ones it was signed after (removed, reordered or changed); "
                               "approve the schedules again").format(bundle=bundle, who=part.who()))


# --- the one check ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalInfo:
    """Who approved which files of a verified bundle."""

    key: PublicKey
    approver: str
    approved_at: datetime
    valid_from: datetime
    valid_to: datetime
    schedules: tuple[str, ...]  # the files this approval governs


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle that checked out: who approved what, valid when (the intersection of
    its approvals' validity)."""

    path: Path
    root: Path
    approvals: tuple[ApprovalInfo, ...]
    valid_from: datetime
    valid_to: datetime
    schedules: dict[str, str]  # schedule path (under root) -> SHA-256
    audio: dict[str, str]  # audio path (under audio_dir) -> SHA-256
    audio_dir: Path
    data: bytes = field(default=b"", compare=False, repr=False)

    @property
    def key(self) -> PublicKey:
        return self.approvals[0].key

    @property
    def approver(self) -> str:
        return ", ".join(dict.fromkeys(a.approver for a in self.approvals if a.approver))

    @property
    def approved_at(self) -> datetime:
        return max(a.approved_at for a in self.approvals)

    def summary(self) -> str:
        whos = []
        for a in self.approvals:
            who = f"{a.key.name} ({a.key.fingerprint[:23]}…)"
            if a.approver:
                who = _("{approver}, key {key}").format(approver=a.approver, key=who)
            if len(self.approvals) > 1:
                who = ngettext("{who} for {n} file", "{who} for {n} files", len(a.schedules)
                               ).format(who=who, n=len(a.schedules))
            whos.append(who)
        return _("{bundle}: OK: {schedules} schedule files and {audio} audio files approved by "
                 "{who} at {at}, valid {start} to {end}").format(
            bundle=self.path, schedules=len(self.schedules), audio=len(self.audio),
            who="; ".join(whos), at=self.approved_at.isoformat(),
            start=self.valid_from.isoformat(), end=self.valid_to.isoformat())


def check_bundle(parts: list[Approval], keys: dict[str, PublicKey], root: Path, *,
                 now: datetime, bundle: Path, trusted_label: Path,
                 audio_dir: Path | None = None, data: bytes = b"",
                 unapproved: list[Path] | None = None) -> VerifiedBundle:
    """The one check of a bundle's approvals against ``keys`` (fingerprint -> trusted
    key) and the files under ``root``; TrustError (or ScheduleError for a schedule that
    does not load) on the first refusal. ``audio_dir`` replaces the audio folder the
    schedules name (a private copy puts it elsewhere).

    Each schedule file is governed by the last approval that lists it. The approvals
    that govern a file, and the newest, must be trusted, signed, valid at ``now`` and
    signed after exactly the approvals before them; older ones that govern nothing any
    more are history, pinned by those digests. A schedule file no approval covers is
    refused, or, when ``unapproved`` is a list, added to it (``approve``: another
    level's file waiting for its own approval is no fault of this one)."""
    now = _aware(now, "now")
    for part in parts:
        _read_entries(part, bundle)
    governs: dict[str, Approval] = {}  # schedule path -> the last approval listing it
    for part in parts:
        for rel in [*part.schedules, *part.removed]:
            governs[rel] = part
    checked = [p for p in parts if p is parts[-1] or p in governs.values()]
    for part in checked:
        _check_approval(part, keys, trusted_label, bundle, now, len(parts) > 1)
    _check_chain(parts, checked, bundle)
    _check_removals(parts, governs, root)
    _check_schedule_files(root, {rel: p.schedules[rel] for rel, p in governs.items()
                                 if rel in p.schedules}, unapproved)
    schedule = _load(root)
    if audio_dir is not None:
        schedule.audio_dir = Path(audio_dir)
    city = any(p.key and "city" in p.key.roles for p in checked)
    where = _files_of(schedule, root)
    for part in checked:
        assert part.key and part.valid_from and part.valid_to
        mine = {rel: root / rel for rel, p in governs.items() if p is part
                and rel in part.schedules}
        check_approval_scope(
            part.key, mine, [p for p in schedule.programs.values() if where(p) in mine],
            [b for b in schedule.blackouts if where(b) in mine], schedule.registry,
            part.valid_from, part.valid_to, city_registry=city)
    audio = _check_audio(schedule, checked, governs, where)
    infos = tuple(ApprovalInfo(p.key, p.approver, p.approved_at, p.valid_from, p.valid_to,
                               tuple(sorted(r for r, g in governs.items() if g is p
                                            and r in p.schedules)))
                  for p in checked if p.key and p.approved_at and p.valid_from and p.valid_to)
    return VerifiedBundle(
        bundle, root, infos, max(i.valid_from for i in infos), min(i.valid_to for i in infos),
        {rel: p.schedules[rel] for rel, p in sorted(governs.items()) if rel in p.schedules},
        audio, Path(schedule.audio_dir), data)


def _check_removals(parts: list[Approval], governs: dict[str, Approval], root: Path
                    ) -> None:
    """A removed file is gone, and was removed by the city or by the key that had
    approved it (history approvals are pinned by digests, so their keys can be read)."""
    for rel, part in governs.items():
        if rel not in part.removed:
            continue
        if (root / rel).exists() or (root / rel).is_symlink():
            raise TrustError(_("{path}: schedule file was removed by the approval of {who} but "
                               "is there; delete it or approve it again").format(
                path=root / rel, who=part.who()))
        earlier = [p for p in parts[:part.index] if rel in p.schedules]
        assert part.key is not None
        if earlier and "city" not in part.key.roles and \
                earlier[-1].by().get("fingerprint") != part.key.fingerprint:
            raise TrustError(_('key "{name}" cannot remove {path}: it was approved by {who}; '
                               "only that key or the city may remove it").format(
                name=part.key.name, path=rel, who=earlier[-1].who()))


def _check_hashes(base: Path, approved: dict[str, str], what: str, changed: str, *,
                  audio: bool = False) -> None:
    """Every approved file under ``base`` is there with the approved SHA-256."""
    for rel, digest in approved.items():
        path = _audio_file(base, rel, f"{base / rel}") if audio else base / rel
        if not path.exists() and not path.is_symlink():
            raise TrustError(_("{path}: {what} is in the bundle but missing").format(
                path=path, what=what))
        found = _sha256(path, what, follow=audio)
        if found != digest:
            raise TrustError(_("{path}: {what} {changed} since it was approved (SHA-256 "
                               "differs); approve it again").format(
                path=path, what=what, changed=changed))


def _check_schedule_files(root: Path, approved: dict[str, str],
                          unapproved: list[Path] | None = None) -> None:
    _check_hashes(root, approved, _("schedule file"), _("changed"))
    for path in schedule_files(root):
        if _rel(path, root) not in approved:
            if unapproved is None:
                raise TrustError(_("{path}: schedule file is not in the approved bundle; remove "
                                   "it or approve the schedules again").format(path=path))
            unapproved.append(path)


def _files_of(schedule, root: Path) -> Callable[[Any], str]:  # noqa: ANN001
    """item -> the path under ``root`` of the file it was read from ("" for none), for
    programs and blackouts (each file resolved once)."""
    files: dict[str, str] = {}

    def where(item: Any) -> str:
        shown_file = item.where.file
        if shown_file not in files:
            try:
                files[shown_file] = _rel(Path(shown_file), root)
            except TrustError:
                files[shown_file] = ""
        return files[shown_file]

    return where


def _check_audio(schedule, parts: list[Approval], governs: dict[str, Approval],  # noqa: ANN001
                 where: Callable[[Any], str]) -> dict[str, str]:
    """Every approved audio file is there unchanged; every program's audio is approved by
    the approval that governs its file; the daemon's own chimes only by the city."""
    audio_dir = Path(schedule.audio_dir)
    listed: dict[str, str] = {}
    for part in parts:  # two digests for one file cannot both match: _check_hashes says so
        listed.update(part.audio)
    for part in parts:
        _check_hashes(audio_dir, part.audio, _("audio file"), _("changed or was swapped"),
                      audio=True)
        assert part.key is not None
        if "city" not in part.key.roles:
            for rel in part.audio:
                if _is_system_chime(rel) and not any(
                        rel in p.audio for p in parts if p.key and "city" in p.key.roles):
                    raise TrustError(_('key "{name}" cannot approve {path}: the daemon\'s alert '
                                       "and end chimes need the city role").format(
                        name=part.key.name, path=rel))
    chimes: dict[str, Path | None] = {}
    for program in schedule.programs.values():
        owner = governs.get(where(program))
        for audio_rel, (path, named) in program_audio(schedule, program, chimes).items():
            if owner is None or audio_rel not in owner.audio:
                raise TrustError(_("{path}: audio file (named at {named}) is not in the "
                                   "approved bundle; approve the schedules again").format(
                    path=path, named=named))
    return dict(sorted(listed.items()))


# --- verify ----------------------------------------------------------------------------


def verify_bundle(bundle: Path, trusted_dir: Path, root: Path | None = None, *,
                  now: datetime, audio_dir: Path | None = None,
                  data: bytes | None = None) -> VerifiedBundle:
    """Check a bundle against the trusted keys and the files on disk; TrustError on the
    first refusal, with its reason. ``root``: the schedules folder [bundle's folder];
    ``audio_dir``: the audio folder [the one the schedules name]; ``data``: the bundle's
    bytes when the caller read them already (so what is checked is what it holds)."""
    bundle = Path(bundle)
    now = _aware(now, "now")
    data = read_bundle(bundle) if data is None else data
    parts = parse_bundle(data, bundle)
    keys = trusted_keys(Path(trusted_dir))
    root = Path(root) if root is not None else bundle.parent
    return check_bundle(parts, keys, root, now=now, bundle=bundle,
                        trusted_label=Path(trusted_dir), audio_dir=audio_dir, data=data)
