/* jwks.c: the runner's JWK Set server and the case keys it publishes (see jwks.h). */
#include "jwks.h"
#include "b64.h"
#include "jsonx.h"
#include "mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct case_key {
    int case_idx;
    char *name, *kid;
    EVP_PKEY *pkey;
    long published;   /* 0: not served; else the order it was published in */
};

struct jwks {
    const struct keys *k;
    EVP_PKEY *p384;   /* served, and to be ignored: not P-256 */
    EVP_PKEY *flawed; /* served, and to be ignored: see JWKS_FLAWED_KID */
    int port;
    char url[64], attacker_url[80], attacker_file[40];
    pthread_t thread;
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t cond;
    int listen_fd, stop, conns;
    enum jwks_mode mode;
    unsigned long mode_seq, applied_seq;
    char bind_err[200];
    struct case_key **ck; /* each allocated alone: what jwks_case_key hands out stays put */
    size_t nck, cap;
    long publish_clock;
    int fetches;
    double reset_at;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* param of pkey in base64url: n octets, leading zeros included (RFC 7518),
 * or as few as its value needs when n is 0 (the flawed key's form). */
static char *bn_b64(EVP_PKEY *pkey, const char *param, int n)
{
    BIGNUM *v = NULL;
    unsigned char buf[1024];
    char *s = NULL;
    if (EVP_PKEY_get_bn_param(pkey, param, &v)) {
        int len = n ? n : BN_num_bytes(v);
        if (len <= (int)sizeof buf && BN_bn2binpad(v, buf, len) == len)
            s = b64_url_encode(buf, (size_t)len);
    }
    BN_free(v);
    return s ? s : mem_strdup("");
}

/* pkey's public half as a JWK (RFC 7517) with kid and, when not NULL, alg and use. */
static cJSON *public_jwk(EVP_PKEY *pkey, const char *kid, const char *alg, const char *use)
{
    cJSON *j = cJSON_CreateObject();
    char *a, *b = NULL;
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        int n = (EVP_PKEY_get_bits(pkey) + 7) / 8;
        a = bn_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, n);
        b = bn_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, n);
        cJSON_AddStringToObject(j, "kty", "EC");
        cJSON_AddStringToObject(j, "crv", n == 32 ? "P-256" : "P-384");
        cJSON_AddStringToObject(j, "x", a);
        cJSON_AddStringToObject(j, "y", b);
    } else {
        a = bn_b64(pkey, OSSL_PKEY_PARAM_RSA_N, EVP_PKEY_get_size(pkey));
        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "n", a);
        cJSON_AddStringToObject(j, "e", "AQAB");
    }
    cJSON_AddStringToObject(j, "kid", kid);
    if (alg)
        cJSON_AddStringToObject(j, "alg", alg);
    if (use)
        cJSON_AddStringToObject(j, "use", use);
    free(a);
    free(b);
    return j;
}

/* The flawed key's entry: for P-256, x and y in as few octets as their values
 * need, which is under 32 for one of them. */
static cJSON *flawed_jwk(EVP_PKEY *pkey, const char *alg)
{
    cJSON *j = public_jwk(pkey, JWKS_FLAWED_KID, alg, "sig");
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        static const char *const names[] = {"x", "y"};
        static const char *const params[] = {OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y};
        for (int i = 0; i < 2; i++) {
            char *v = bn_b64(pkey, params[i], 0);
            cJSON_ReplaceItemInObjectCaseSensitive(j, names[i], cJSON_CreateString(v));
            free(v);
        }
    }
    return j;
}

/* The octets param of pkey's value needs; 0 when OpenSSL has no such param. */
static int bn_bytes(EVP_PKEY *pkey, const char *param)
{
    BIGNUM *v = NULL;
    int n = EVP_PKEY_get_bn_param(pkey, param, &v) ? BN_num_bytes(v) : 0;
    BN_free(v);
    return n;
}

/* The key JWKS_FLAWED_KID names, of the issuer's type; NULL when OpenSSL fails.
 * One P-256 key in 128 has a coordinate that starts with a zero octet. */
static EVP_PKEY *flawed_key(int es256)
{
    if (!es256)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    for (int tries = 0; tries < 10000; tries++) {
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (!pk)
            return NULL;
        if (bn_bytes(pk, OSSL_PKEY_PARAM_EC_PUB_X) < 32 || bn_bytes(pk, OSSL_PKEY_PARAM_EC_PUB_Y) < 32)
            return pk;
        EVP_PKEY_free(pk);
    }
    return NULL;
}

/* The set served: published case keys (last published first), the issuer's
 * key, then entries FULL-6 says to ignore. Lock held; caller frees. */
static char *set_doc(const struct jwks *j)
{
    cJSON *doc = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(doc, "keys");
    const char *alg = keys_alg(j->k);
    for (long order = j->publish_clock; order > 0; order--)
        for (size_t i = 0; i < j->nck; i++)
            if (j->ck[i]->published == order)
                cJSON_AddItemToArray(keys, public_jwk(j->ck[i]->pkey, j->ck[i]->kid, alg, "sig"));
    cJSON_AddItemToArray(keys, public_jwk(j->k->issuer, j->k->kid, alg, "sig"));
    cJSON *oct = cJSON_CreateObject();
    cJSON_AddStringToObject(oct, "kty", "oct");
    cJSON_AddStringToObject(oct, "kid", "afi-hmac");
    cJSON_AddStringToObject(oct, "k", "YWZpLWNvbmZvcm1hbmNlLWhtYWMta2V5LW5vdC1mb3Itc2lnbmluZw");
    cJSON_AddItemToArray(keys, oct);
    cJSON_AddItemToArray(keys, public_jwk(j->k->attacker, JWKS_ENC_KID, NULL, "enc"));
    cJSON_AddItemToArray(keys, public_jwk(j->p384, "afi-p384", "ES384", NULL));
    cJSON_AddItemToArray(keys, flawed_jwk(j->flawed, alg));
    char *s = jsonx_print(doc);
    cJSON_Delete(doc);
    return s;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the target stopped reading: what a bounded client does */
        p += w;
        n -= (size_t)w;
    }
}

static void answer(int fd, int status, const char *body, int length)
{
    char head[200];
    int n = length ? snprintf(head, sizeof head,
                              "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                              "Connection: close\r\n\r\n", status, status == 200 ? "OK" : status == 404 ? "Not Found"
                              : "Internal Server Error", strlen(body))
                   : snprintf(head, sizeof head, "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                                                 "Connection: close\r\n\r\n", status);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* JWKS_HUGE: the set with a padding member, JWKS_HUGE_BYTES in all, valid JSON. */
static void answer_huge(int fd, const char *doc)
{
    static const char member[] = ",\"x-afi-padding\":\"";
    char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    answer(fd, 200, "", 0);
    send_all(fd, doc, strlen(doc) - 1); /* without its closing brace */
    send_all(fd, member, sizeof member - 1);
    for (size_t sent = strlen(doc) + sizeof member; sent < JWKS_HUGE_BYTES; sent += sizeof chunk)
        send_all(fd, chunk, sizeof chunk);
    send_all(fd, "\"}", 2);
}

/* The GET /jwks.json of one connection, as the mode says. */
static void serve_set(struct jwks *j, int fd)
{
    pthread_mutex_lock(&j->lock);
    j->fetches++;
    if (j->mode == JWKS_SLOW) {
        double until = mono() + JWKS_SLOW_MS / 1000.0;
        while (j->mode == JWKS_SLOW && !j->stop && mono() < until) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&j->cond, &j->lock, &ts);
        }
    }
    enum jwks_mode mode = j->mode;
    char *doc = set_doc(j);
    pthread_mutex_unlock(&j->lock);
    if (mode == JWKS_HUGE)
        answer_huge(fd, doc);
    else
        answer(fd, mode == JWKS_ERROR ? 500 : 200, doc, 1);
    free(doc);
}

struct conn {
    struct jwks *j;
    int fd;
};

static void *connection(void *arg)
{
    struct conn *c = arg;
    struct jwks *j = c->j;
    char req[8192];
    size_t n = 0;
    struct timeval tv = {2, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (n < sizeof req - 1) {
        ssize_t r = recv(c->fd, req + n, sizeof req - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[n] = '\0';
    if (!strncmp(req, "GET /jwks.json ", 15)) {
        serve_set(j, c->fd);
    } else if (!strncmp(req, "GET /attacker.json ", 19)) {
        cJSON *doc = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(doc, "keys");
        cJSON_AddItemToArray(keys, public_jwk(j->k->attacker, j->attacker_url, keys_alg(j->k), "sig"));
        char *s = jsonx_print(doc);
        answer(c->fd, 200, s, 1);
        free(s);
        cJSON_Delete(doc);
    } else {
        answer(c->fd, 404, "{\"error\":\"not found\"}", 1);
    }
    close(c->fd);
    free(c);
    pthread_mutex_lock(&j->lock);
    j->conns--;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static int listen_on(int port, int *bound, char *err, size_t errlen)
{
    /* close-on-exec: a spawned target must not hold the port open (JWKS_DOWN closes it) */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t al = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%d for the JWK Set: %s", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

/* The accept loop; it alone opens and closes the listening socket (JWKS_DOWN). */
static void *serve(void *arg)
{
    struct jwks *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        if (j->stop) {
            pthread_mutex_unlock(&j->lock);
            break;
        }
        if (j->mode == JWKS_DOWN && j->listen_fd >= 0) {
            close(j->listen_fd);
            j->listen_fd = -1;
        } else if (j->mode != JWKS_DOWN && j->listen_fd < 0) {
            int port;
            j->bind_err[0] = '\0';
            j->listen_fd = listen_on(j->port, &port, j->bind_err, sizeof j->bind_err);
        }
        if (j->applied_seq != j->mode_seq) {
            j->applied_seq = j->mode_seq;
            pthread_cond_broadcast(&j->cond);
        }
        int fd = j->listen_fd;
        pthread_mutex_unlock(&j->lock);
        struct pollfd p = {fd, POLLIN, 0};
        if (fd < 0 || poll(&p, 1, 50) <= 0) {
            if (fd < 0)
                usleep(50000);
            continue;
        }
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        fcntl(c, F_SETFD, FD_CLOEXEC);
        struct conn *cn = mem_alloc(sizeof *cn);
        cn->j = j;
        cn->fd = c;
        pthread_t t;
        pthread_mutex_lock(&j->lock);
        j->conns++;
        pthread_mutex_unlock(&j->lock);
        if (pthread_create(&t, NULL, connection, cn)) {
            close(c);
            free(cn);
            pthread_mutex_lock(&j->lock);
            j->conns--;
            pthread_mutex_unlock(&j->lock);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

struct jwks *jwks_start(const struct keys *k, int port, char *err, size_t errlen)
{
    struct jwks *j = mem_calloc(1, sizeof *j);
    j->k = k;
    j->listen_fd = listen_on(port, &j->port, err, errlen);
    if (j->listen_fd < 0) {
        free(j);
        return NULL;
    }
    snprintf(j->url, sizeof j->url, "http://127.0.0.1:%d/jwks.json", j->port);
    snprintf(j->attacker_url, sizeof j->attacker_url, "http://127.0.0.1:%d/attacker.json", j->port);
    strcpy(j->attacker_file, "/tmp/afi-attacker-key-XXXXXX");
    int fd = mkstemp(j->attacker_file);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && PEM_write_PUBKEY(f, k->attacker);
    if (f)
        fclose(f);
    j->p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    j->flawed = flawed_key(k->es256);
    if (!ok || !j->p384 || !j->flawed) {
        snprintf(err, errlen, "cannot write the attacker's key to %s, or generate a P-384 key or the flawed key",
                 j->attacker_file);
        if (fd >= 0)
            unlink(j->attacker_file);
        close(j->listen_fd);
        EVP_PKEY_free(j->p384);
        EVP_PKEY_free(j->flawed);
        free(j);
        return NULL;
    }
    j->reset_at = mono();
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    pthread_create(&j->thread, NULL, serve, j);
    return j;
}

void jwks_stop(struct jwks *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_mutex_lock(&j->lock);
    while (j->conns > 0)
        pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
    if (j->listen_fd >= 0)
        close(j->listen_fd);
    for (size_t i = 0; i < j->nck; i++) {
        free(j->ck[i]->name);
        free(j->ck[i]->kid);
        EVP_PKEY_free(j->ck[i]->pkey);
        free(j->ck[i]);
    }
    free(j->ck);
    EVP_PKEY_free(j->p384);
    EVP_PKEY_free(j->flawed);
    unlink(j->attacker_file);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

const char *jwks_url(const struct jwks *j) { return j->url; }
const char *jwks_attacker_url(const struct jwks *j) { return j->attacker_url; }
const char *jwks_attacker_file(const struct jwks *j) { return j->attacker_file; }
EVP_PKEY *jwks_flawed(const struct jwks *j) { return j->flawed; }

/* The case key entry, or NULL; lock held. */
static struct case_key *find(struct jwks *j, int case_idx, const char *name)
{
    for (size_t i = 0; i < j->nck; i++)
        if (j->ck[i]->case_idx == case_idx && !strcmp(j->ck[i]->name, name))
            return j->ck[i];
    return NULL;
}

int jwks_case_key(struct jwks *j, int case_idx, const char *name, EVP_PKEY **pkey, const char **kid,
                  char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    struct case_key *c = find(j, case_idx, name);
    EVP_PKEY *pk = NULL;
    /* Cases run one at a time and their kids differ: a name's key material
     * is generated once per run (an RSA key takes a while), its kid per case. */
    for (size_t i = 0; i < j->nck && !c && !pk; i++)
        if (!strcmp(j->ck[i]->name, name))
            pk = j->ck[i]->pkey;
    if (pk)
        EVP_PKEY_up_ref(pk);
    pthread_mutex_unlock(&j->lock);
    if (!c) {
        if (!pk)
            pk = j->k->es256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                             : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        unsigned char *der = NULL, md[32];
        int dn = pk ? i2d_PUBKEY(pk, &der) : -1;
        if (dn <= 0) {
            EVP_PKEY_free(pk);
            snprintf(err, errlen, "OpenSSL could not generate the key \"%s\"", name);
            return -1;
        }
        EVP_Digest(der, (size_t)dn, md, NULL, EVP_sha256(), NULL);
        OPENSSL_free(der);
        char k[160];
        snprintf(k, sizeof k, "c%d.%s.%02x%02x%02x%02x", case_idx, name, md[0], md[1], md[2], md[3]);
        c = mem_alloc(sizeof *c);
        *c = (struct case_key){case_idx, mem_strdup(name), mem_strdup(k), pk, 0};
        pthread_mutex_lock(&j->lock);
        j->ck = mem_grow(j->ck, &j->cap, j->nck, sizeof *j->ck);
        j->ck[j->nck++] = c;
        pthread_mutex_unlock(&j->lock);
    }
    *pkey = c->pkey;
    *kid = c->kid;
    return 0;
}

int jwks_publish(struct jwks *j, int case_idx, const char *name, int on, char *err, size_t errlen)
{
    EVP_PKEY *pk;
    const char *kid;
    if (jwks_case_key(j, case_idx, name, &pk, &kid, err, errlen))
        return -1;
    pthread_mutex_lock(&j->lock);
    find(j, case_idx, name)->published = on ? ++j->publish_clock : 0;
    pthread_mutex_unlock(&j->lock);
    return 0;
}

int jwks_parse_mode(const char *word, enum jwks_mode *mode)
{
    static const char *const words[] = {[JWKS_OK] = "ok", [JWKS_SLOW] = "slow", [JWKS_DOWN] = "down",
                                        [JWKS_ERROR] = "error", [JWKS_HUGE] = "huge"};
    for (int i = 0; i < (int)(sizeof words / sizeof *words); i++)
        if (!strcmp(word, words[i])) {
            *mode = (enum jwks_mode)i;
            return 0;
        }
    return -1;
}

int jwks_serve(struct jwks *j, enum jwks_mode mode, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    j->mode = mode;
    unsigned long seq = ++j->mode_seq;
    pthread_cond_broadcast(&j->cond); /* slow answers go out now */
    while (j->applied_seq < seq && !j->stop)
        pthread_cond_wait(&j->cond, &j->lock);
    int rc = j->bind_err[0] ? -1 : 0;
    if (rc)
        snprintf(err, errlen, "%s", j->bind_err);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

void jwks_fetches_reset(struct jwks *j)
{
    pthread_mutex_lock(&j->lock);
    j->fetches = 0;
    j->reset_at = mono();
    pthread_mutex_unlock(&j->lock);
}

int jwks_fetches(struct jwks *j, double *seconds)
{
    pthread_mutex_lock(&j->lock);
    int n = j->fetches;
    *seconds = mono() - j->reset_at;
    pthread_mutex_unlock(&j->lock);
    return n;
}

int jwks_case_end(struct jwks *j, int case_idx, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->nck; i++)
        if (j->ck[i]->case_idx == case_idx)
            j->ck[i]->published = 0;
    pthread_mutex_unlock(&j->lock);
    return jwks_serve(j, JWKS_OK, err, errlen);
}
