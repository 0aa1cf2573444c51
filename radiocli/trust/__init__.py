"""Trust: Ed25519 keys, signed approval bundles of schedules and audio, signed alerts.

No click, no environment, no clock of its own: paths and ``now`` come in as arguments.
"""

from __future__ import annotations

from radiocli.trust.alerts import check_alert_key, sign_alert, verify_alert
from radiocli.trust.bundle import BUNDLE_NAME, VerifiedBundle, approve, verify_bundle
from radiocli.trust.keys import ROLES, PublicKey, generate_key, read_public, trusted_keys

__all__ = [
    "BUNDLE_NAME", "ROLES", "PublicKey", "VerifiedBundle", "approve", "check_alert_key",
    "generate_key", "read_public", "sign_alert", "trusted_keys", "verify_alert",
    "verify_bundle",
]
