"""Signed emergency alerts: only a trusted key with the ``emergency`` role may put an
alert on air, and only where its scope reaches. The daemon calls :func:`accept_alert`
(or :func:`verify_alert` and then :class:`~radiocli.trust.replay.AlertMemory`) before it
preempts anything."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from radiocli import TZ
from radiocli.errors import TrustError
from radiocli.i18n import _
from radiocli.trust.bundle import canonical
from radiocli.trust.keys import (
    PublicKey, find_trusted, fingerprint, load_private, public_of, read_public, trusted_keys,
)
from radiocli.trust.safe import b64decode_strict, shown
from radiocli.trust.scope import alert_targets, check_alert_scope

ALERT_FORMAT = "radiocli-alert/1"
MAX_AGE = timedelta(minutes=10)
MAX_AHEAD = timedelta(minutes=1)  # an issuer's clock a little ahead of the station's


def check_alert_key(key_pub: Path | PublicKey, trusted_dir: Path) -> PublicKey:
    """The trusted key for ``key_pub`` (a ``.pub`` path or a key), which must hold the
    ``emergency`` role; TrustError otherwise."""
    key = key_pub if isinstance(key_pub, PublicKey) else read_public(Path(key_pub))
    trusted = find_trusted(key.fingerprint, key.name, trusted_keys(Path(trusted_dir)),
                           Path(trusted_dir))
    if "emergency" not in trusted.roles:
        raise TrustError(_('key "{name}" has the roles {roles}; emergency alerts need a key '
                           "with the emergency role").format(
            name=trusted.name, roles=", ".join(sorted(trusted.roles))))
    return trusted


def sign_alert(alert: dict, key_path: Path, *, now: datetime) -> dict:
    """``{"alert": ..., "issued_at": ..., "key": {...}, "signature": ...}`` for the daemon."""
    private = load_private(Path(key_path))
    raw = public_of(private)
    body = {"format": ALERT_FORMAT, "alert": alert,
            "issued_at": now.isoformat(timespec="seconds"),
            "key": {"name": Path(key_path).stem, "fingerprint": fingerprint(raw)}}
    return {**body, "signature": base64.b64encode(private.sign(canonical(body))).decode()}


def alert_identity(signed: dict) -> str:
    """What makes an alert this alert: the SHA-256 of the canonical bytes that were
    signed (its targets, text, audio hash, issue time and key). Two copies of one alert
    have the same identity however their JSON or base64 is spelled."""
    body = {k: v for k, v in signed.items() if k != "signature"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class VerifiedAlert:
    """A signed alert that checked out."""

    alert: dict  # what was signed: stations, districts, all, title, text, sha256, ...
    issued_at: datetime
    key: PublicKey
    identity: str  # :func:`alert_identity`

    @property
    def valid_until(self) -> datetime:
        """The last moment a copy of this alert could still be accepted."""
        return self.issued_at + MAX_AGE


def check_signed_alert(signed: dict, trusted_dir: Path, *, now: datetime, registry=None,  # noqa: ANN001
                       max_age: timedelta = MAX_AGE) -> VerifiedAlert:
    """A signed alert, once its key is trusted with the emergency role, its signature
    holds (canonical base64 only), it was issued within ``max_age`` of ``now`` and its
    targets are inside the key's scope (resolved with ``registry``, the one the city
    approved, on the day it was issued and on the day it airs; without a registry an
    alert to stations from a key with codes is refused). TrustError with the reason
    otherwise."""
    if not isinstance(signed, dict) or signed.get("format") != ALERT_FORMAT:
        raise TrustError(_('not a signed alert (format must be "{format}")').format(
            format=ALERT_FORMAT))
    if not signed.get("signature"):
        raise TrustError(_("the alert has no signature; sign it with an emergency key"))
    key_info = signed.get("key")
    key_info = key_info if isinstance(key_info, dict) else {}
    keys = trusted_keys(Path(trusted_dir))
    key = find_trusted(str(key_info.get("fingerprint", "")), str(key_info.get("name", "?")),
                       keys, Path(trusted_dir))
    key = check_alert_key(key, trusted_dir)
    signature = b64decode_strict(signed["signature"], _("bad alert signature"))
    body = {k: v for k, v in signed.items() if k != "signature"}
    if not key.verify(signature, canonical(body)):
        raise TrustError(_('bad alert signature: not signed by key "{name}" or changed after '
                           "signing").format(name=key.name))
    try:
        issued = datetime.fromisoformat(str(signed["issued_at"]))
    except (KeyError, ValueError) as exc:
        raise TrustError(_("the alert has no valid issued_at ({error})").format(
            error=shown(exc))) from None
    if issued.tzinfo is None or not (now - max_age <= issued <= now + MAX_AHEAD):
        raise TrustError(_("the alert was issued at {issued}, not within {minutes} minutes of "
                           "now ({now}); refusing a replay").format(
            issued=issued.isoformat(), minutes=int(max_age.total_seconds() // 60),
            now=now.isoformat(timespec="seconds")))
    alert = signed.get("alert")
    alert = alert if isinstance(alert, dict) else {"text": alert}
    alert_targets(alert)
    for day in sorted({alert_day(issued), alert_day(now)}):  # it may air after midnight
        check_alert_scope(key, alert, registry, day)
    return VerifiedAlert(alert, issued, key, alert_identity(signed))


def alert_day(issued: datetime) -> date:
    """The day (Hanoi) whose registry resolves an alert's targets."""
    return issued.astimezone(TZ).date()


def verify_alert(signed: dict, trusted_dir: Path, *, now: datetime, registry=None,  # noqa: ANN001
                 max_age: timedelta = MAX_AGE) -> dict:
    """The alert inside ``signed`` (see :func:`check_signed_alert`)."""
    return check_signed_alert(signed, trusted_dir, now=now, registry=registry,
                              max_age=max_age).alert


def accept_alert(signed: dict, trusted_dir: Path, memory, *, now: datetime,  # noqa: ANN001
                 registry=None) -> tuple[VerifiedAlert, str | None]:  # noqa: ANN001
    """What the daemon calls for each signed alert under trust: :func:`check_signed_alert`,
    then ``memory`` (an :class:`~radiocli.trust.replay.AlertMemory`) records it, refusing a
    copy of an alert already taken (a replay). TrustError with the reason otherwise.
    Returns the alert and None, or a warning to log when the memory could not be written
    to disk (the alert airs all the same)."""
    verified = check_signed_alert(signed, trusted_dir, now=now, registry=registry)
    return verified, memory.take(verified.identity, verified.valid_until, now=now)
