"""Writing approvals: ``radiocli approve`` adds one signed approval to a bundle
(:mod:`radiocli.trust.bundle` reads and checks bundles; what is written here passes the
same :func:`~radiocli.trust.bundle.check_bundle` before it is written).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from radiocli.errors import TrustError
from radiocli.i18n import _, os_reason
from radiocli.trust.bundle import (
    BUNDLE_FORMAT, BUNDLE_NAME, Approval, _aware, _load, _read_entries, _rel, canonical,
    check_bundle, parse_bundle, read_bundle, referenced_audio, schedule_files, sha256_file,
    system_chimes,
)
from radiocli.trust.keys import (
    PublicKey, fingerprint, load_private, public_of, read_public, trusted_keys,
)
from radiocli.trust.safe import sha256_file as _sha256


def approve(paths: Iterable[Path], key_path: Path, valid_from: datetime, valid_to: datetime,
            approver: str = "", *, now: datetime, root: Path | None = None,
            out: Path | None = None, trusted_dir: Path | None = None,
            notes: list[str] | None = None) -> Path:
    """Approve the schedule files ``paths`` (folders or files under ``root``) and the
    audio they play with the key ``key_path``, add the approval to the bundle (default
    ``<root>/approved.json``) and return its path. A path that no longer exists but is
    in the bundle, and files the bundle lists under a folder being approved that are
    gone, are approved as removed.

    Before anything is written the whole bundle gets the check ``verify`` makes
    (:func:`check_bundle`), with the keys of ``trusted_dir`` and the signer's own
    ``.pub`` (next to the key; a trusted copy of it wins), at ``now`` or at
    ``valid_from`` when that is later: what ``verify`` would refuse is refused here,
    with the same message, and nothing is written. One thing only is not refused: a
    schedule file in the folder that no approval covers and that this approval was not
    asked to cover (another district's new file, waiting for its own key); ``notes``
    (when given) receives what ``verify`` will say about it until it is approved."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise TrustError(_("nothing to approve: name a schedules folder or files"))
    valid_from = _aware(valid_from, "valid from")
    valid_to = _aware(valid_to, "valid to")
    now = _aware(now, "now")
    if valid_to <= valid_from:
        raise TrustError(_("valid to ({end}) must be after valid from ({start})").format(
            end=valid_to.isoformat(), start=valid_from.isoformat()))
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path(
            os.path.commonpath([str(p.resolve() if p.is_dir() else p.resolve().parent)
                                for p in paths]))
    root = Path(root)
    out = Path(out) if out else root / BUNDLE_NAME
    files: dict[str, Path] = {}
    for path in paths:
        if path.exists() or path.is_symlink():
            for f in schedule_files(path):
                files.setdefault(_rel(f, root), f)
    keys, signer, private = _signer(Path(key_path), trusted_dir)
    with _locked(out):  # two approvers at once: neither approval is lost
        earlier = _earlier(out, root, files)
        removed = _removed(paths, root, earlier, files)
        if not files and not removed:
            raise TrustError(_("no schedule files (*.yaml) in {paths}").format(
                paths=", ".join(map(str, paths))))
        replaced = set(files) | removed
        if all(set(part.schedules) | part.removed <= replaced for _raw, part in earlier):
            earlier = []  # the new approval replaces all: a fresh bundle
        manifest = _manifest(root, files, removed, signer, approver, now, valid_from, valid_to)
        if earlier:
            manifest["builds_on"] = [part.digest() for _raw, part in earlier]
        new = {"manifest": manifest,
               "signature": {"algorithm": "ed25519",
                             "value": base64.b64encode(private.sign(canonical(manifest))).decode(
                                 "ascii")}}
        items = [item for item, _part in earlier] + [new]
        document = {"approvals": items} if len(items) > 1 else new
        data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        label = Path(trusted_dir) if trusted_dir is not None else Path(key_path).parent
        unapproved: list[Path] = []
        check_bundle(parse_bundle(data, out), keys, root, now=max(now, valid_from), bundle=out,
                     trusted_label=label, data=data, unapproved=unapproved)
        _write_atomic(out, data)
    for path in unapproved:
        if notes is not None:
            notes.append(_("{path}: schedule file is not in the approved bundle yet; verify "
                           "refuses the folder until it is approved by its own key").format(
                path=path))
    return out


def _signer(key_path: Path, trusted_dir: Path | None):  # noqa: ANN202
    """(keys to check with, the signer's key, its private key): the trusted folder's
    keys, and the signer's own .pub when the folder does not hold it."""
    private = load_private(key_path)
    raw = public_of(private)
    fp = fingerprint(raw)
    keys = trusted_keys(trusted_dir) if trusted_dir is not None and Path(
        trusted_dir).is_dir() else {}
    pub_path = key_path.with_suffix(".pub")
    if fp not in keys:
        if not pub_path.is_file():
            raise TrustError(_("{path}: missing; approve needs the key's .pub (made with it "
                               "by radiocli keys generate) to check what the key may "
                               "approve").format(path=pub_path))
        public = read_public(pub_path)
        if public.raw != raw:
            raise TrustError(_("{public} does not belong to {private} (different key)").format(
                public=pub_path, private=key_path))
        keys[fp] = public
    return keys, keys[fp], private


def _manifest(root: Path, files: dict[str, Path], removed: set[str], signer: PublicKey,
              approver: str, now: datetime, valid_from: datetime, valid_to: datetime
              ) -> dict:
    """What the signer approves: the files, the audio their programs play (and, for the
    city, the daemon's own chimes), who, when, valid from and to."""
    schedule = _load(root)
    chosen = {f.resolve() for f in files.values()}
    audio = referenced_audio(schedule, [p for p in schedule.programs.values()
                                        if Path(p.where.file).resolve() in chosen])
    if "city" in signer.roles:
        audio = {**system_chimes(schedule.audio_dir), **audio}
    manifest = {
        "format": BUNDLE_FORMAT,
        "approved_by": {"key": signer.name, "fingerprint": signer.fingerprint,
                        "approver": approver},
        "approved_at": now.isoformat(timespec="seconds"),
        "valid_from": valid_from.isoformat(timespec="seconds"),
        "valid_to": valid_to.isoformat(timespec="seconds"),
        "schedules": [{"path": rel, "sha256": _sha256(f, _("schedule file"), follow=False)}
                      for rel, f in sorted(files.items())],
        "audio_dir": os.path.relpath(schedule.audio_dir.resolve(), root.resolve()).replace(
            os.sep, "/"),
        "audio": [{"path": rel, "sha256": sha256_file(path)}
                  for rel, (path, _where) in sorted(audio.items())],
    }
    if removed:
        manifest["removed"] = sorted(removed)
    return manifest


def _earlier(out: Path, root: Path, files: dict[str, Path]) -> list[tuple[dict, Approval]]:
    """The approvals already in the bundle ``out`` (raw and parsed entries). A bundle
    that cannot be read is replaced only by an approval of every file under ``root``."""
    if not out.exists() and not out.is_symlink():
        return []
    try:
        data = read_bundle(out)
        parts = parse_bundle(data, out)
        document = json.loads(data)
        raw = document["approvals"] if "approvals" in document else [document]
        for part in parts:
            _read_entries(part, out)
    except TrustError as exc:
        if {_rel(f, root) for f in schedule_files(root)} <= set(files):
            return []
        raise TrustError(_("{error}\ncannot add an approval to it: approve the whole schedules "
                           "folder, or move it away").format(error=exc)) from None
    return list(zip(raw, parts, strict=True))


def _removed(paths: list[Path], root: Path, earlier: list[tuple[dict, Approval]],
             files: dict[str, Path]) -> set[str]:
    """Files the bundle lists that are gone and that the approval names: a path given
    that no longer exists, or a file under a folder being approved."""
    listed = {rel for _raw, part in earlier for rel in part.schedules}
    out = set()
    folders = []
    for path in paths:
        if path.is_dir():
            folders.append("" if path.resolve() == root.resolve() else _rel(path, root))
        elif not path.exists() and not path.is_symlink():
            rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(
                os.sep, "/")
            if rel not in listed:
                raise TrustError(_("{path}: no such schedule file or folder").format(path=path))
            out.add(rel)
    for rel in listed:
        inside = any(not f or rel.startswith(f + "/") for f in folders)
        if inside and rel not in files and not (root / rel).exists():
            out.add(rel)
    return out


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold ``.<bundle>.lock`` next to the bundle while it is read, extended and written."""
    import fcntl

    lock = out.with_name(f".{out.name}.lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise TrustError(_("{lock}: cannot lock the bundle: {reason}").format(
            lock=lock, reason=os_reason(exc))) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_atomic(out: Path, data: bytes) -> None:
    from radiocli import fileio

    try:
        fileio.write_atomic(out, data, mode=0o644, sync=fileio.Sync.FULL)
    except OSError as exc:
        raise TrustError(_("{out}: cannot write the bundle: {reason}").format(
            out=out, reason=os_reason(exc))) from exc
