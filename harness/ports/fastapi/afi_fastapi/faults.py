"""Deliberate rule breaks for the suite's self-test: AFI_FAULT=<name> breaks exactly one rule.

Every use is a branch `if fault("name"):` placed where the correct code enforces the
rule; FAULTS.md lists each name with the requirement id it breaks. With AFI_FAULT
unset (the normal case) every branch is dead and the port is conformant.
"""
import os

KNOWN = frozenset({
    "personal_by_key", "list_leak", "lost_update", "invalid_token_anonymous",
    "accept_alg_none", "accept_hs512", "expired_leeway", "nbf_ignored", "revoke_sub",
    "revoke_nothing", "role_off_by_one", "etag_shared", "etag_stale", "float_ints",
    "if_rev_ignored", "failed_write_persists", "shared_write_any_role", "bytes_length",
    "dup_keys_last_wins", "bool_is_int", "body_before_auth", "cookie_ignored",
    "cookie_wins", "delete_keeps_rev", "leak_internal", "unsorted_details",
    "first_violation_only", "empty_body_400",
})

FAULT = os.environ.get("AFI_FAULT") or None


def fault(name: str) -> bool:
    """True when AFI_FAULT names this fault; a misspelt name in the code is a bug."""
    if name not in KNOWN:
        raise ValueError(f"unknown fault name {name!r}")
    return FAULT == name
