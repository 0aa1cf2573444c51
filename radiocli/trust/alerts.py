"""Signed emergency alerts: only a trusted key with the ``emergency`` role may put an
alert on air. The daemon calls :func:`verify_alert` before it preempts anything."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

from radiocli.errors import TrustError
from radiocli.trust.bundle import canonical
from radiocli.trust.keys import PublicKey, find_trusted, fingerprint, load_private, \
    public_of, read_public

ALERT_FORMAT = "radiocli-alert/1"
MAX_AGE = timedelta(minutes=10)


def check_alert_key(key_pub: Path | PublicKey, trusted_dir: Path) -> PublicKey:
    """The trusted key for ``key_pub`` (a ``.pub`` path or a key), which must hold the
    ``emergency`` role; TrustError otherwise."""
    key = key_pub if isinstance(key_pub, PublicKey) else read_public(Path(key_pub))
    trusted = find_trusted(key.fingerprint, key.name, Path(trusted_dir))
    if "emergency" not in trusted.roles:
        raise TrustError(f'key "{trusted.name}" has the roles '
                         f'{", ".join(sorted(trusted.roles))}; emergency alerts need a key '
                         "with the emergency role")
    return trusted


def sign_alert(alert: dict, key_path: Path, *, now: datetime) -> dict:
    """``{"alert": ..., "issued_at": ..., "key": {...}, "signature": ...}`` for the daemon."""
    private = load_private(Path(key_path))
    raw = public_of(private)
    body = {"format": ALERT_FORMAT, "alert": alert,
            "issued_at": now.isoformat(timespec="seconds"),
            "key": {"name": Path(key_path).stem, "fingerprint": fingerprint(raw)}}
    return {**body, "signature": base64.b64encode(private.sign(canonical(body))).decode()}


def verify_alert(signed: dict, trusted_dir: Path, *, now: datetime,
                 max_age: timedelta = MAX_AGE) -> dict:
    """The alert inside ``signed`` once its key is trusted with the emergency role, its
    signature holds and it was issued within ``max_age`` of ``now`` (no replays)."""
    if not isinstance(signed, dict) or signed.get("format") != ALERT_FORMAT:
        raise TrustError(f'not a signed alert (format must be "{ALERT_FORMAT}")')
    if not signed.get("signature"):
        raise TrustError("the alert has no signature; sign it with an emergency key")
    key_info = signed.get("key")
    key_info = key_info if isinstance(key_info, dict) else {}
    key = find_trusted(str(key_info.get("fingerprint", "")), str(key_info.get("name", "?")),
                       Path(trusted_dir))
    key = check_alert_key(key, trusted_dir)
    body = {k: v for k, v in signed.items() if k != "signature"}
    try:
        signature = base64.b64decode(str(signed["signature"]), validate=True)
    except ValueError as exc:
        raise TrustError(f"bad alert signature: not base64 ({exc})") from exc
    if not key.verify(signature, canonical(body)):
        raise TrustError(f'bad alert signature: not signed by key "{key.name}" or changed '
                         "after signing")
    try:
        issued = datetime.fromisoformat(str(signed["issued_at"]))
    except (KeyError, ValueError) as exc:
        raise TrustError(f"the alert has no valid issued_at ({exc})") from exc
    if issued.tzinfo is None or not (now - max_age <= issued <= now + timedelta(minutes=1)):
        raise TrustError(f"the alert was issued at {issued.isoformat()}, not within "
                         f"{int(max_age.total_seconds() // 60)} minutes of now "
                         f"({now.isoformat(timespec='seconds')}); refusing a replay")
    alert = signed.get("alert")
    return alert if isinstance(alert, dict) else {"text": alert}
