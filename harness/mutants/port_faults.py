"""The FastAPI port's deliberate faults (AFI_FAULT=<name>), for mutants a proxy cannot express.

Each breaks one rule inside the port; harness/ports/fastapi/FAULTS.md is the port's own list
(test_selftest.py checks that both name the same faults and rules). Descriptions follow it.
"""

PORT_FAULTS = {
    "personal_by_key": ("SCOPE-2", "personal data keyed by key only, shared by all viewers"),
    "list_leak": ("SCOPE-2", "kv_list personal returns every viewer's personal keys"),
    "lost_update": ("SCOPE-6",
                   "counter_incr reads, awaits asyncio.sleep(0.001), writes, without the lock"),
    "invalid_token_anonymous": ("AUTH-4", "a token failing verification is treated as anonymous"),
    "accept_alg_none": ("AUTH-4", "a token with alg: none is decoded without a signature check"),
    "accept_hs512": ("AUTH-4", "algorithms HS256, HS384 and HS512 all accepted"),
    "expired_leeway": ("AUTH-4", "120 s of leeway on exp"),
    "nbf_ignored": ("AUTH-4", "nbf is not checked"),
    "revoke_sub": ("AUTH-6", "logout revokes every token of the sub"),
    "revoke_nothing": ("AUTH-6", "logout answers revoked: true but stores nothing"),
    "role_off_by_one": ("AUTH-5",
                       "role comparison one rank too lenient: ADMIN functions accept WRITER (and shared writes accept READER)"),
    "etag_shared": ("CTX-4",
                   "the tag is an unkeyed hash of context, member names and revs: the same for every viewer (and constant per context)"),
    "etag_stale": ("CTX-4",
                  "the tag is keyed per viewer but leaves out the results, so it never changes after writes"),
    "float_ints": ("SCOPE-4", "stored integers come back as floats (5 -> 5.0)"),
    "if_rev_ignored": ("SCOPE-5", "if_rev is not compared"),
    "failed_write_persists": ("CALL-6",
                             "kv_set writes before the shared-key role check answers 403"),
    "shared_write_any_role": ("SCOPE-3",
                             "no WRITER check on shared writes, deletes and increments"),
    "bytes_length": ("CALL-3", "string lengths counted in UTF-8 bytes"),
    "dup_keys_last_wins": ("CALL-3", "duplicate object keys accepted, last wins"),
    "bool_is_int": ("CALL-3", "true accepted as an integer"),
    "body_before_auth": ("CALL-4", "413/415/400/422 decided before 401/403"),
    "cookie_ignored": ("AUTH-1", "the afi_viewer cookie is never read"),
    "cookie_wins": ("AUTH-1", "the cookie is preferred over the header"),
    "delete_keeps_rev": ("SCOPE-5", "a deleted then rewritten key continues its old rev"),
    "leak_internal": ("ENV-4", "the 500 message includes the exception text"),
    "unsorted_details": ("ENV-3",
                        "validation details in argument declaration order, not sorted by loc"),
    "first_violation_only": ("CALL-3", "only the first violation is reported"),
    "empty_body_400": ("CALL-2", "a zero-byte body is invalid_json instead of {}"),
}
