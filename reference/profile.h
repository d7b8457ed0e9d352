/* The sixteen functions of the conformance profile (PROF-1, section 10).
 * Each handler sees arguments that already passed validation against its
 * entry in the registry table (defaults filled in), and the verified viewer
 * (NULL when anonymous; never NULL for a non-public function). */
#ifndef AFI_PROFILE_H
#define AFI_PROFILE_H

#include <cjson/cJSON.h>

#include "auth.h"
#include "envelope.h"
#include "store.h"

struct profile_call {
	/* in */
	const cJSON *args;			/* the validated argument object */
	const struct auth_viewer *viewer;	/* NULL when anonymous */
	struct store *store;
	/* out on success */
	cJSON *result;				/* owned by the caller once set */
	unsigned defer_ms;			/* send the answer only after this delay (sleep) */
	/* out on failure (handler returned -1) */
	enum envelope_code code;
	char message[160];			/* for the person reading the envelope */
	cJSON *details;				/* owned by the caller once set; may stay NULL */
	char internal[160];			/* internal_error only: logged, never sent (ENV-4) */
};

/* A handler returns 0 with call->result set, or -1 with call->code and
 * call->message (and for internal errors call->internal) set. */
typedef int (*profile_handler)(struct profile_call *call);

int profile_echo(struct profile_call *call);
int profile_add(struct profile_call *call);
int profile_site_info(struct profile_call *call);
int profile_whoami(struct profile_call *call);
int profile_get_draft(struct profile_call *call);
int profile_save_draft(struct profile_call *call);
int profile_kv_get(struct profile_call *call);
int profile_kv_set(struct profile_call *call);
int profile_kv_delete(struct profile_call *call);
int profile_kv_list(struct profile_call *call);
int profile_counter_incr(struct profile_call *call);
int profile_staff_report(struct profile_call *call);
int profile_root_only(struct profile_call *call);
int profile_logout(struct profile_call *call);
int profile_fail(struct profile_call *call);
int profile_sleep(struct profile_call *call);

#endif
