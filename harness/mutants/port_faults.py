"""The FastAPI port's deliberate faults (AFI_FAULT=<name>), for mutants a proxy cannot express.

Each breaks one rule inside the port (harness/ports/fastapi/FAULTS.md is the port's own
list; test_selftest.py checks that both lists name the same faults and rules).
"""

PORT_FAULTS = {
    "personal_by_key": ("SCOPE-2", "personal: data is keyed by the key alone, not by the viewer"),
    "list_leak": ("SCOPE-2", "kv_list personal lists every viewer's personal keys"),
    "lost_update": ("SCOPE-6", "counter_incr reads and writes without a lock: updates are lost"),
    "invalid_token_anonymous": ("AUTH-4", "a credential that fails verification is treated as anonymous"),
    "accept_alg_none": ("AUTH-4", "an unsigned token with alg none is accepted"),
    "accept_hs512": ("AUTH-4", "HS512 tokens signed with the secret are accepted"),
    "expired_leeway": ("AUTH-4", "expiry is checked with 120 s of clock leeway"),
    "nbf_ignored": ("AUTH-4", "a token whose nbf is in the future is accepted"),
    "revoke_sub": ("AUTH-6", "logout revokes every token of the sub, not just the jti"),
    "revoke_nothing": ("AUTH-6", "logout answers revoked: true but revokes nothing"),
    "role_off_by_one": ("AUTH-5", "role comparison is off by one (a role just below the level passes)"),
    "etag_shared": ("CTX-4", "the bundle ETag hashes only context, member names and revs: the same for every viewer"),
    "etag_stale": ("CTX-4", "the bundle ETag ignores member results: unchanged after a write"),
    "float_ints": ("SCOPE-4", "stored numbers go through doubles: big integers lose precision"),
    "if_rev_ignored": ("SCOPE-5", "kv_set ignores if_rev (no 409 conflict)"),
    "failed_write_persists": ("CALL-6", "kv_set checks the shared-write role after writing: a refused (403) write persists"),
    "shared_write_any_role": ("SCOPE-3", "writing shared: keys does not require WRITER"),
    "bytes_length": ("CALL-3", "string lengths count UTF-8 bytes instead of code points"),
    "dup_keys_last_wins": ("CALL-3", "duplicate JSON keys are accepted, the last one wins"),
    "bool_is_int": ("CALL-3", "true and false pass as integers"),
    "body_before_auth": ("CALL-4", "the body is parsed and validated before credentials are checked"),
    "cookie_ignored": ("AUTH-1", "the afi_viewer cookie is ignored"),
    "cookie_wins": ("AUTH-1", "the cookie wins over the Authorization header"),
    "delete_keeps_rev": ("SCOPE-5", "kv_delete keeps the rev, so a re-created key does not restart at 1"),
    "leak_internal": ("ENV-4", "internal_error carries the exception text"),
    "unsorted_details": ("ENV-3", "validation details are not sorted by loc"),
    "first_violation_only": ("CALL-3", "validation stops at the first violation"),
    "empty_body_400": ("CALL-2", "a zero-byte body is 400 invalid_json instead of {}"),
}
