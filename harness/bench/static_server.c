/* static_server.c: the benchmark's ceiling, a libmicrohttpd server that answers every
 * request with one fixed JSON body and does no JWT or JSON work at all.
 *
 * It runs libmicrohttpd on the client sockets themselves, MHD_USE_EPOLL_INTERNAL_THREAD
 * with a pool of one thread per core, connections accepted by a thread of its own and
 * handed over with MHD_add_connection. The reference server instead keeps every client
 * connection in its gate (reference/gate.c frames each request, then its thread drives a
 * daemon of its own over a socket pair), so the gap between the two is the price of the
 * gate and of the protocol's work: `make bench` says how close the reference gets to
 * what libmicrohttpd itself allows on this machine. Not part of the product: built by
 * scripts/bench.sh with the project's compiler flags.
 *
 * Usage: static-server [--port N] [--threads N]
 * Prints "listening on http://127.0.0.1:PORT/afi" on stdout once ready; stops on
 * SIGTERM or SIGINT. */
#include <microhttpd.h>

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The echo function's answer to {"text":"hello"}: the same bytes the reference sends. */
static const char static_body[] = "{\"result\":{\"message\":\"hello\"},\"invalidate\":[]}";

/* A marker stored in the connection's context pointer after the first call, so the
 * handler knows the headers were seen and the upload (if any) is being drained. */
static int static_seen;

static enum MHD_Result static_handle(void *cls, struct MHD_Connection *conn,
                                     const char *url, const char *method,
                                     const char *version, const char *upload_data,
                                     size_t *upload_data_size, void **con_cls)
{
  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  (void)upload_data;
  if (*con_cls == NULL) {
    *con_cls = &static_seen;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    /* The body is read and dropped: the ceiling still pays for receiving it. */
    *upload_data_size = 0;
    return MHD_YES;
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      sizeof static_body - 1, (void *)static_body, MHD_RESPMEM_PERSISTENT);
  if (resp == NULL)
    return MHD_NO;
  enum MHD_Result ret = MHD_NO;
  if (MHD_add_response_header(resp, "Content-Type", "application/json") == MHD_YES)
    ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return ret;
}

struct static_acceptor {
  int listen_fd;
  struct MHD_Daemon *daemon;
};

/* Accepts until the listening socket is shut down; libmicrohttpd owns every fd it gets. */
static void *static_accept(void *arg)
{
  struct static_acceptor *a = arg;
  for (;;) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int fd = accept(a->listen_fd, (struct sockaddr *)&peer, &len);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
        continue;
      return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    MHD_add_connection(a->daemon, fd, (struct sockaddr *)&peer, len);
  }
}

static int static_parse_uint(const char *s, unsigned max, unsigned *out)
{
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > max)
    return -1;
  *out = (unsigned)v;
  return 0;
}

static void static_usage(FILE *f)
{
  fputs("usage: static-server [--port N] [--threads N]\n"
        "  --port N     loopback port, 0 (default) picks a free one\n"
        "  --threads N  libmicrohttpd thread pool size (default: one per core)\n",
        f);
}

int main(int argc, char **argv)
{
  unsigned port = 0, threads = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      static_usage(stdout);
      return 0;
    }
    if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
      if (static_parse_uint(argv[++i], 65535, &port) != 0) {
        fprintf(stderr, "static-server: --port wants 0..65535, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) {
      if (static_parse_uint(argv[++i], 256, &threads) != 0 || threads == 0) {
        fprintf(stderr, "static-server: --threads wants 1..256, got '%s'\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "static-server: unknown argument '%s'\n", argv[i]);
      static_usage(stderr);
      return 2;
    }
  }

  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (unsigned)n : 1;
  }

  /* Signals are blocked before the daemon starts so its threads inherit the mask
   * and only sigwait() below sees SIGTERM/SIGINT. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1024) < 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) {
    fprintf(stderr, "static-server: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
    return 1;
  }

  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
          MHD_USE_ERROR_LOG,
      0, NULL, NULL, static_handle, NULL,
      MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_TIMEOUT, 60u,
      MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "static-server: libmicrohttpd could not start\n");
    close(fd);
    return 1;
  }
  struct static_acceptor acceptor = {fd, d};
  pthread_t tid;
  if (pthread_create(&tid, NULL, static_accept, &acceptor) != 0) {
    fprintf(stderr, "static-server: cannot start the accept thread\n");
    MHD_stop_daemon(d);
    close(fd);
    return 1;
  }
  printf("listening on http://127.0.0.1:%u/afi\n", (unsigned)ntohs(addr.sin_port));
  fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  shutdown(fd, SHUT_RDWR); /* wakes accept() with an error */
  pthread_join(tid, NULL);
  close(fd);
  MHD_stop_daemon(d);
  return 0;
}
