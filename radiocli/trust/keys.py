"""Ed25519 signing keys for schedule approval and emergency alerts.

A key is two files: ``NAME.key`` (the private key, PKCS8 PEM, mode 0600, kept by its
holder) and ``NAME.pub`` (JSON: public key, name, roles and the district/station codes
it covers). A station trusts a key by holding its ``.pub`` in its trusted folder;
removing the ``.pub`` revokes it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from radiocli.errors import TrustError

ROLES = ("city", "district", "station", "emergency")
PUB_FORMAT = "radiocli-key/1"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class PublicKey:
    """A public key with what its holder may sign."""

    name: str
    roles: frozenset[str]
    raw: bytes  # 32 bytes, Ed25519
    districts: frozenset[str] = frozenset()
    stations: frozenset[str] = frozenset()
    path: Path | None = field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "format": PUB_FORMAT,
            "name": self.name,
            "algorithm": "ed25519",
            "public_key": base64.b64encode(self.raw).decode("ascii"),
            "fingerprint": self.fingerprint,
            "roles": sorted(self.roles),
        }
        if self.districts:
            out["districts"] = sorted(self.districts)
        if self.stations:
            out["stations"] = sorted(self.stations)
        return out


def fingerprint(raw: bytes) -> str:
    """``SHA256:<hex>`` of the raw 32-byte public key."""
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise TrustError(f'key name "{name[:80]}" must be letters, digits, "-", "_" or "." '
                         "(up to 64 characters), e.g. district-001")


def _check_roles(roles: Iterable[str]) -> frozenset[str]:
    found = frozenset(roles)
    unknown = sorted(found - set(ROLES))
    if unknown:
        raise TrustError(f"unknown role {', '.join(unknown)}: a key's roles are "
                         f"{', '.join(ROLES)}")
    if not found:
        raise TrustError(f"a key needs at least one role ({', '.join(ROLES)})")
    return found


def generate_key(out_dir: Path, name: str, roles: Iterable[str],
                 districts: Iterable[str] = (), stations: Iterable[str] = ()
                 ) -> tuple[Path, Path]:
    """Write ``NAME.key`` (0600, never readable by others) and ``NAME.pub``; refuse to
    overwrite an existing key. Returns (private path, public path)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _check_name(name)
    role_set = _check_roles(roles)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise TrustError(f"{out_dir}: cannot create the key folder: {exc}") from exc
    key_path = out_dir / f"{name}.key"
    pub_path = out_dir / f"{name}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise TrustError(f"{path} already exists; choose another --name or move it away "
                             "(keys are never overwritten)")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    try:
        # Created 0600 in one step: never world- or group-readable, not even briefly.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        try:
            os.fchmod(fd, 0o600)  # in case the file system ignored the mode
            os.write(fd, pem)
        finally:
            os.close(fd)
    except OSError as exc:
        raise TrustError(f"{key_path}: cannot write the private key: {exc}") from exc
    public = PublicKey(name, role_set, raw, frozenset(districts), frozenset(stations))
    text = json.dumps(public.as_dict(), ensure_ascii=False, indent=2) + "\n"
    try:
        fd = os.open(pub_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise TrustError(f"{pub_path}: cannot write the public key: {exc}") from exc
    return key_path, pub_path


def load_private(key_path: Path):  # noqa: ANN201 - Ed25519PrivateKey, imported lazily
    """The private key in ``key_path`` (PKCS8 PEM, Ed25519)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key_path = Path(key_path)
    try:
        data = key_path.read_bytes()
    except OSError as exc:
        raise TrustError(f"{key_path}: cannot read the private key: "
                         f"{exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise TrustError(f"{key_path}: not a private key made by radiocli keys generate "
                         f"({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(f"{key_path}: not an Ed25519 key (make one with radiocli keys "
                         "generate)")
    return key


def public_of(private) -> bytes:  # noqa: ANN001
    from cryptography.hazmat.primitives import serialization

    return private.public_key().public_bytes(serialization.Encoding.Raw,  # type: ignore[no-any-return]
                                             serialization.PublicFormat.Raw)


def read_public(path: Path) -> PublicKey:
    """Read a ``.pub`` file; TrustError names the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrustError(f"{path}: cannot read the public key: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrustError(f"{path}: not a radiocli public key (bad JSON: {exc})") from exc
    if not isinstance(data, dict) or data.get("format") != PUB_FORMAT:
        raise TrustError(f'{path}: not a radiocli public key (format must be "{PUB_FORMAT}")')
    try:
        raw = base64.b64decode(str(data["public_key"]), validate=True)
        name = str(data["name"])
        roles = data.get("roles") or []
        districts = data.get("districts") or []
        stations = data.get("stations") or []
        if not all(isinstance(x, list) for x in (roles, districts, stations)):
            raise ValueError("roles, districts and stations must be lists")
    except (KeyError, ValueError, TypeError) as exc:
        raise TrustError(f"{path}: public key is incomplete or malformed ({exc})") from exc
    if len(raw) != 32:
        raise TrustError(f"{path}: public key must be 32 bytes of Ed25519, got {len(raw)}")
    return PublicKey(name, frozenset(map(str, roles)), raw, frozenset(map(str, districts)),
                     frozenset(map(str, stations)), path)


def trusted_keys(trusted_dir: Path) -> dict[str, PublicKey]:
    """Fingerprint -> key for every ``*.pub`` in the trusted folder."""
    trusted_dir = Path(trusted_dir)
    if not trusted_dir.is_dir():
        raise TrustError(f"{trusted_dir}: no trusted keys folder (copy the approvers' .pub "
                         "files there, or pass --trust DIR)")
    keys: dict[str, PublicKey] = {}
    for path in sorted(trusted_dir.glob("*.pub")):
        key = read_public(path)
        keys[key.fingerprint] = key
    return keys


def find_trusted(fp: str, name: str, trusted_dir: Path) -> PublicKey:
    key = trusted_keys(trusted_dir).get(fp)
    if key is None:
        raise TrustError(f'unknown key "{name}" ({fp}): it is not in the trusted keys '
                         f"folder {trusted_dir} (add its .pub there if it should be trusted)")
    return key
