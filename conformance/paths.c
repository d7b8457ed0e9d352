/* paths.c: finds the fixtures directory and the protocol document (see paths.h). */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int paths_is_dir(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static void default_fixtures(char *out, size_t outlen)
{
    static const char *const beside[] = {"../fixtures", "../share/afi/fixtures"};
    const char *env = getenv("AFI_FIXTURES");
    char exe[PATH_MAX - 64];
    ssize_t n;
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return;
    }
    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof beside / sizeof *beside; i++) {
            char cand[PATH_MAX], real[PATH_MAX];
            snprintf(cand, sizeof cand, "%s/%s", exe, beside[i]);
            if (realpath(cand, real) && paths_is_dir(real)) {
                snprintf(out, outlen, "%s", real);
                return;
            }
        }
    }
    snprintf(out, outlen, "fixtures");
}

void paths_locate(struct paths *p, const char *first_suite, const char *spec)
{
    char dflt[PATH_MAX + 32];
    default_fixtures(dflt, sizeof dflt);
    snprintf(p->fixtures, sizeof p->fixtures, "%s", dflt);
    if (first_suite) {
        snprintf(p->fixtures, sizeof p->fixtures, "%s", first_suite);
        if (!paths_is_dir(p->fixtures)) {
            char *slash = strrchr(p->fixtures, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(p->fixtures, sizeof p->fixtures, ".");
        }
    }
    if (spec) {
        snprintf(p->spec, sizeof p->spec, "%s", spec);
        return;
    }
    struct stat st;
    snprintf(p->spec, sizeof p->spec, "%s/../docs/protocol.md", p->fixtures);
    if (stat(p->spec, &st))
        snprintf(p->spec, sizeof p->spec, "%s/../docs/protocol.md", dflt);
}
