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
from radiocli.i18n import _, ngettext, os_reason
from radiocli.trust.safe import b64decode_strict, loads_strict, read_regular, shown

ROLES = ("city", "district", "station", "emergency")
PUB_FORMAT = "radiocli-key/1"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DISTRICT_RE = re.compile(r"^[0-9]{3}$")
STATION_RE = re.compile(r"^[0-9]{5}$")
MAX_PUB_BYTES = 64 * 1024


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

    def approves_station(self, code: str, district: str) -> bool:
        """May this key approve programs and blackouts that reach station ``code`` (in
        ``district`` that day)? The city role everywhere; the district role in its
        districts; the station role at its stations. No codes: nothing."""
        return ("city" in self.roles
                or ("district" in self.roles and bool(district) and district in self.districts)
                or ("station" in self.roles and code in self.stations))

    def alerts_station(self, code: str, district: str) -> bool:
        """May this key's emergency alerts reach station ``code`` (in ``district`` that
        day)? An emergency key without codes covers the whole city."""
        if "emergency" not in self.roles:
            return False
        if not self.districts and not self.stations:
            return True
        return code in self.stations or (bool(district) and district in self.districts)

    def scope_text(self) -> str:
        """What the key covers, for messages: "district 001", "stations 00001, 00004"."""
        districts = ngettext("district {codes}", "districts {codes}", len(self.districts)
                             ).format(codes=", ".join(sorted(self.districts)))
        stations = ngettext("station {codes}", "stations {codes}", len(self.stations)
                            ).format(codes=", ".join(sorted(self.stations)))
        if self.districts and self.stations:
            return _("{districts} and {stations}").format(districts=districts, stations=stations)
        if self.districts:
            return districts
        if self.stations:
            return stations
        return _("the whole city")

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
        raise TrustError(_('key name "{name}" must be letters, digits, "-", "_" or "." (up to '
                           "64 characters), e.g. district-001").format(name=name[:80]))


def _check_roles(roles: Iterable[str]) -> frozenset[str]:
    found = frozenset(roles)
    unknown = sorted(found - set(ROLES))
    if unknown:
        raise TrustError(_("unknown role {roles}: a key's roles are {known}").format(
            roles=", ".join(unknown), known=", ".join(ROLES)))
    if not found:
        raise TrustError(_("a key needs at least one role ({known})").format(
            known=", ".join(ROLES)))
    return found


def check_key_scope(roles: Iterable[str], districts: Iterable[str] = (),
                    stations: Iterable[str] = (), registry=None) -> None:  # noqa: ANN001
    """Refuse roles and codes that contradict each other, and codes that do not exist
    (in ``registry``, a station Registry, when given): what a key covers must be what
    its holder reads in its .pub."""
    role_set = _check_roles(roles)
    district_set, station_set = set(districts), set(stations)
    if "city" in role_set and (district_set or station_set):
        raise TrustError(_("a city key covers the whole city: drop --district and --station (or "
                           "make a district or station key)"))
    if district_set and not role_set & {"district", "emergency"}:
        raise TrustError(_("--district goes with --role district or --role emergency; a {roles} "
                           "key with --district would not be limited to that district").format(
            roles="/".join(sorted(role_set))))
    if station_set and not role_set & {"station", "emergency"}:
        raise TrustError(_("--station goes with --role station or --role emergency; a {roles} "
                           "key with --station would not be limited to that station").format(
            roles="/".join(sorted(role_set))))
    if "district" in role_set and not district_set:
        raise TrustError(_("a district key needs --district CODE (the district it approves "
                           "for); a key for the whole city is --role city"))
    if "station" in role_set and not station_set:
        raise TrustError(_("a station key needs --station CODE (the station it approves for); a "
                           "key for the whole city is --role city"))
    for code in sorted(district_set):
        if not DISTRICT_RE.match(code):
            raise TrustError(_('district code "{code}" must be 3 digits, e.g. 001').format(
                code=shown(code, 20)))
    for code in sorted(station_set):
        if not STATION_RE.match(code):
            raise TrustError(_('station code "{code}" must be 5 digits, e.g. 00001').format(
                code=shown(code, 20)))
    if registry is not None:
        unknown = sorted(c for c in district_set if c not in registry.districts)
        if unknown:
            raise TrustError(_("unknown district code {code} (see radiocli stations list)").format(
                code=", ".join(unknown)))
        unknown = sorted(c for c in station_set if not registry.known(c))
        if unknown:
            raise TrustError(_("unknown station code {code} (see radiocli stations list)").format(
                code=", ".join(unknown)))


def generate_key(out_dir: Path, name: str, roles: Iterable[str],
                 districts: Iterable[str] = (), stations: Iterable[str] = (), *,
                 registry=None) -> tuple[Path, Path]:  # noqa: ANN001
    """Write ``NAME.key`` (0600, never readable by others) and ``NAME.pub``; refuse to
    overwrite an existing key, and roles and codes that contradict each other or do not
    exist in ``registry`` (when given). A new key folder is made 0700. Returns (private
    path, public path)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _check_name(name)
    role_set = _check_roles(roles)
    districts, stations = frozenset(districts), frozenset(stations)
    check_key_scope(role_set, districts, stations, registry)
    out_dir = Path(out_dir)
    try:
        if not out_dir.is_dir():
            out_dir.mkdir(parents=True, mode=0o700)
            os.chmod(out_dir, 0o700)
    except OSError as exc:
        raise TrustError(_("{folder}: cannot create the key folder: {reason}").format(
            folder=out_dir, reason=os_reason(exc))) from exc
    key_path = out_dir / f"{name}.key"
    pub_path = out_dir / f"{name}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise TrustError(_("{path} already exists; choose another --name or move it away "
                               "(keys are never overwritten)").format(path=path))
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    from radiocli import fileio

    try:
        # Created 0600 in one step: never world- or group-readable, not even briefly.
        fileio.write_new(key_path, pem, mode=0o600, sync=fileio.Sync.FULL)
    except OSError as exc:
        raise TrustError(_("{path}: cannot write the private key: {reason}").format(
            path=key_path, reason=os_reason(exc))) from exc
    public = PublicKey(name, role_set, raw, districts, stations)
    text = json.dumps(public.as_dict(), ensure_ascii=False, indent=2) + "\n"
    try:
        fileio.write_new(pub_path, text, mode=0o644, sync=fileio.Sync.FULL)
    except OSError as exc:
        raise TrustError(_("{path}: cannot write the public key: {reason}").format(
            path=pub_path, reason=os_reason(exc))) from exc
    return key_path, pub_path


def load_private(key_path: Path):  # noqa: ANN201 - Ed25519PrivateKey, imported lazily
    """The private key in ``key_path`` (PKCS8 PEM, Ed25519). Like ssh, a key file that
    others can read is refused: it may already have leaked."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key_path = Path(key_path)
    data = read_regular(key_path, _("private key"), MAX_PUB_BYTES)
    try:
        mode = key_path.stat().st_mode
    except OSError as exc:
        raise TrustError(_("{path}: cannot read the private key: {reason}").format(
            path=key_path, reason=os_reason(exc))) from exc
    if mode & 0o077:
        raise TrustError(_("{path}: the private key can be read by others (mode "
                           "{mode:04o}); make it private with chmod 600 {path}, and make a "
                           "new key if others may have copied it").format(
            path=key_path, mode=mode & 0o777))
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise TrustError(_("{path}: not a private key made by radiocli keys generate "
                           "({error})").format(path=key_path, error=exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(_("{path}: not an Ed25519 key (make one with radiocli keys "
                           "generate)").format(path=key_path))
    return key


def public_of(private) -> bytes:  # noqa: ANN001
    from cryptography.hazmat.primitives import serialization

    return private.public_key().public_bytes(serialization.Encoding.Raw,  # type: ignore[no-any-return]
                                             serialization.PublicFormat.Raw)


def read_public(path: Path) -> PublicKey:
    """Read a ``.pub`` file; TrustError names the file and what is wrong."""
    path = Path(path)
    data = loads_strict(read_regular(path, _("public key"), MAX_PUB_BYTES),
                        _("{path}: not a radiocli public key").format(path=shown(path, 200)))
    if not isinstance(data, dict) or data.get("format") != PUB_FORMAT:
        raise TrustError(_('{path}: not a radiocli public key (format must be "{format}")'
                           ).format(path=path, format=PUB_FORMAT))
    name, roles = data.get("name"), data.get("roles") or []
    districts, stations = data.get("districts") or [], data.get("stations") or []
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise TrustError(_("{path}: public key has no valid name").format(path=path))
    if not all(isinstance(x, list) and all(isinstance(c, str) for c in x)
               for x in (roles, districts, stations)):
        raise TrustError(_("{path}: public key is malformed (roles, districts and stations must "
                           "be lists of text)").format(path=path))
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise TrustError(_("{path}: unknown role {roles} (a key's roles are {known})").format(
            path=path, roles=shown(", ".join(unknown)), known=", ".join(ROLES)))
    raw = b64decode_strict(data.get("public_key"), _("{path}: public key").format(path=path))
    if len(raw) != 32:
        raise TrustError(_("{path}: public key must be 32 bytes of Ed25519, got {n}").format(
            path=path, n=len(raw)))
    if data.get("fingerprint") not in (None, fingerprint(raw)):
        raise TrustError(_("{path}: the fingerprint written in it is not the fingerprint of its "
                           "public key; the file was edited").format(path=path))
    return PublicKey(name, frozenset(roles), raw, frozenset(districts), frozenset(stations),
                     path)


def trusted_keys(trusted_dir: Path) -> dict[str, PublicKey]:
    """Fingerprint -> key for every ``*.pub`` in the trusted folder. Two files for one
    key that say different things (roles, codes, name) are refused: which one holds
    would depend on the order of the file names."""
    trusted_dir = Path(trusted_dir)
    if not trusted_dir.is_dir():
        raise TrustError(_("{folder}: no trusted keys folder (copy the approvers' .pub "
                           "files there, or pass --trust DIR)").format(folder=trusted_dir))
    keys: dict[str, PublicKey] = {}
    for path in sorted(trusted_dir.glob("*.pub")):
        key = read_public(path)
        other = keys.get(key.fingerprint)
        if other is not None and (other.name, other.roles, other.districts, other.stations) \
                != (key.name, key.roles, key.districts, key.stations):
            raise TrustError(_("{path} and {other} are the same key ({fingerprint}) with "
                               "different names, roles or codes; keep only the right one").format(
                path=other.path, other=path, fingerprint=key.fingerprint))
        keys[key.fingerprint] = key
    return keys


def find_trusted(fp: str, name: str, keys: dict[str, PublicKey], trusted_dir: Path
                 ) -> PublicKey:
    key = keys.get(fp)
    if key is None:
        raise TrustError(_('unknown key "{name}" ({fingerprint}): it is not in the trusted keys '
                           "folder {folder} (add its .pub there if it should be trusted)").format(
            name=shown(name, 64), fingerprint=shown(fp, 71), folder=trusted_dir))
    return key
