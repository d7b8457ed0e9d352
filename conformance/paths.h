/* paths.h: where the fixtures and docs/protocol.md are when the command line does not say. */
#ifndef AFI_CONFORMANCE_PATHS_H
#define AFI_CONFORMANCE_PATHS_H

#include <limits.h>

struct paths {
    char fixtures[PATH_MAX + 32]; /* the fixtures directory */
    char spec[PATH_MAX + 64];     /* the protocol document */
};

/* Fills p. The fixtures directory is first_suite's (itself when it is a
 * directory, else the directory it is in), else the default one:
 * $AFI_FIXTURES, else beside the executable (<exe dir>/../fixtures in a build
 * tree, <exe dir>/../share/afi/fixtures once installed by `make install`),
 * else ./fixtures. The protocol document is spec when not NULL, else
 * docs/protocol.md beside the fixtures directory, else beside the default
 * one. first_suite and spec may be NULL. */
void paths_locate(struct paths *p, const char *first_suite, const char *spec);

/* 1 when path names a directory. */
int paths_is_dir(const char *path);

#endif
