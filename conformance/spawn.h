/* spawn.h: `run --spawn "CMD {port}"`: starts a target on a free port, waits for it, stops it. */
#ifndef AFI_CONFORMANCE_SPAWN_H
#define AFI_CONFORMANCE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn {
    pid_t pid;      /* the shell running the command (its own process group) */
    int port;
    char *command;  /* the command after substitution; owned */
    int log_fd;     /* the command's stdout and stderr (an unlinked temp file), or -1 */
};

/* Picks a free loopback port, substitutes it for every {port} of cmd and
 * starts `sh -c` on the result with AFI_SECRET=secret in its environment.
 * Returns 0, or -1 with a message in err. */
int spawn_start(struct spawn *sp, const char *cmd, const char *secret, char *err, size_t errlen);

/* Polls GET health_url until it answers 200 or timeout_ms pass. Returns 0 when
 * up; -1 with a message in err when the command died or never answered (the
 * message ends with the last lines the command printed). */
int spawn_wait(struct spawn *sp, const char *health_url, long timeout_ms, char *err, size_t errlen);

/* Stops the command's process group (SIGTERM, then SIGKILL after 3 s) and
 * frees sp's contents. Safe on a struct whose start failed. */
void spawn_stop(struct spawn *sp);

/* s with every "{port}" replaced by port; caller frees. */
char *spawn_subst_port(const char *s, int port);

#endif
