/* spec.h: the requirement ids, grades and one-line rules of docs/protocol.md. */
#ifndef AFI_CONFORMANCE_SPEC_H
#define AFI_CONFORMANCE_SPEC_H

#include <stddef.h>

struct spec_req {
    char *id;   /* "ENV-1" */
    int should; /* 0: MUST, 1: SHOULD */
    char *rule; /* the one-line rule */
};

struct spec {
    struct spec_req *reqs; /* in document order */
    size_t n;
    const struct spec_req **by_id; /* the same, sorted by id for spec_find */
};

/* Reads the headings `#### ID · GRADE · rule` of the protocol document at path.
 * Returns a new spec (free with spec_free) or NULL with a message in err. */
struct spec *spec_load(const char *path, char *err, size_t errlen);

/* The requirement of that id (borrowed), or NULL; a binary search, as the
 * loading of a suite asks for every case's requirements. spec may be NULL. */
const struct spec_req *spec_find(const struct spec *spec, const char *id);

void spec_free(struct spec *spec);

#endif
