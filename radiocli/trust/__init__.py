"""Trust: Ed25519 keys, signed approval bundles of schedules and audio, signed alerts.

No click, no environment, no clock of its own: paths and ``now`` come in as arguments.
"""

from __future__ import annotations

from radiocli.trust.alerts import (
    VerifiedAlert, accept_alert, alert_identity, check_alert_key, check_signed_alert,
    sign_alert, verify_alert,
)
from radiocli.trust.approval import approve
from radiocli.trust.bundle import BUNDLE_NAME, VerifiedBundle, check_bundle, verify_bundle
from radiocli.trust.keys import (
    ROLES, PublicKey, check_key_scope, generate_key, read_public, trusted_keys,
)
from radiocli.trust.replay import AlertMemory
from radiocli.trust.scope import alert_outside, check_alert_scope, check_approval_scope

__all__ = [
    "BUNDLE_NAME", "ROLES", "AlertMemory", "PublicKey", "VerifiedAlert", "VerifiedBundle",
    "accept_alert", "alert_identity", "alert_outside", "approve", "check_alert_key",
    "check_alert_scope", "check_approval_scope", "check_bundle", "check_key_scope",
    "check_signed_alert", "generate_key", "read_public", "sign_alert", "trusted_keys",
    "verify_alert", "verify_bundle",
]
