/* jpath.h: the JSON paths of fixtures ($, .name, ["name"], [index]) and of failure messages. */
#ifndef AFI_CONFORMANCE_JPATH_H
#define AFI_CONFORMANCE_JPATH_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* 0 when path is a well-formed JSON path, else -1 with a message in err. */
int jpath_check(const char *path, char *err, size_t errlen);

/* The item at path inside root (borrowed from root), or NULL when the path does
 * not exist there. A malformed path also gives NULL; check it first. */
const cJSON *jpath_get(const cJSON *root, const char *path);

/* New path strings (caller frees): base + .key (or ["key"] when key is not a
 * plain identifier), base + [index]. */
char *jpath_key(const char *base, const char *key);
char *jpath_index(const char *base, int index);

#endif
