/* spawn.c: runs the target under test as a child process group (see spawn.h). */
#include "spawn.h"
#include "mem.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *spawn_subst_port(const char *s, int port)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    size_t n = strlen(s) + 1;
    for (const char *p = strstr(s, "{port}"); p; p = strstr(p + 6, "{port}"))
        n += strlen(ps);
    char *out = mem_alloc(n), *o = out;
    while (*s) {
        if (!strncmp(s, "{port}", 6)) {
            o += sprintf(o, "%s", ps);
            s += 6;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    int port = -1;
    if (!bind(fd, (struct sockaddr *)&a, sizeof a) && !getsockname(fd, (struct sockaddr *)&a, &l))
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int spawn_start(struct spawn *sp, const char *cmd, const char *secret, char *err, size_t errlen)
{
    memset(sp, 0, sizeof *sp);
    sp->log_fd = -1;
    sp->port = free_port();
    if (sp->port < 0) {
        snprintf(err, errlen, "--spawn: no free loopback port: %s", strerror(errno));
        return -1;
    }
    sp->command = spawn_subst_port(cmd, sp->port);
    /* The target's own output would mix with the runner's; it is kept aside
     * and shown only when the target fails to come up. */
    char tmpl[] = "/tmp/afi-spawn-XXXXXX";
    sp->log_fd = mkstemp(tmpl);
    if (sp->log_fd >= 0)
        unlink(tmpl);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "--spawn: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        if (sp->log_fd >= 0) {
            dup2(sp->log_fd, STDOUT_FILENO);
            dup2(sp->log_fd, STDERR_FILENO);
            close(sp->log_fd);
        }
        setenv("AFI_SECRET", secret, 1);
        execl("/bin/sh", "sh", "-c", sp->command, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    sp->pid = pid;
    return 0;
}

/* Appends the last lines of the command's output to err. */
static void log_tail(const struct spawn *sp, char *err, size_t errlen)
{
    if (sp->log_fd < 0)
        return;
    char buf[1024];
    off_t end = lseek(sp->log_fd, 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(sp->log_fd, buf, sizeof buf - 1, from);
    if (n <= 0)
        return;
    buf[n] = '\0';
    size_t used = strlen(err);
    snprintf(err + used, errlen - used, "\n--- its output (last %zd bytes) ---\n%s", n, buf);
}

int spawn_wait(struct spawn *sp, const char *health_url, long timeout_ms, char *err, size_t errlen)
{
    struct http_client *hc = http_client_new(1000);
    struct http_request q = {.method = "GET", .url = health_url};
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = -1;
    for (;;) {
        int st;
        pid_t w = waitpid(sp->pid, &st, WNOHANG);
        if (w == sp->pid) {
            sp->pid = 0;
            if (WIFEXITED(st))
                snprintf(err, errlen, "--spawn: the target command exited with status %d before answering %s: %s",
                         WEXITSTATUS(st), health_url, sp->command);
            else
                snprintf(err, errlen, "--spawn: the target command died (signal %d) before answering %s: %s",
                         WIFSIGNALED(st) ? WTERMSIG(st) : 0, health_url, sp->command);
            break;
        }
        struct http_response res = {0};
        if (hc && !http_do(hc, &q, &res) && res.status == 200) {
            http_response_clear(&res);
            rc = 0;
            break;
        }
        http_response_clear(&res);
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms > timeout_ms) {
            snprintf(err, errlen, "--spawn: the target did not answer %s with 200 within %ld ms: %s", health_url,
                     timeout_ms, sp->command);
            break;
        }
        usleep(20000);
    }
    http_client_free(hc);
    if (rc)
        log_tail(sp, err, errlen);
    return rc;
}

void spawn_stop(struct spawn *sp)
{
    if (sp->pid > 0) {
        kill(-sp->pid, SIGTERM);
        int st;
        for (int i = 0; i < 300; i++) {
            if (waitpid(sp->pid, &st, WNOHANG) == sp->pid) {
                sp->pid = 0;
                break;
            }
            usleep(10000);
        }
        if (sp->pid > 0) {
            kill(-sp->pid, SIGKILL);
            waitpid(sp->pid, &st, 0);
        }
    }
    sp->pid = 0;
    if (sp->log_fd >= 0)
        close(sp->log_fd);
    sp->log_fd = -1;
    free(sp->command);
    sp->command = NULL;
}
