/* The /metrics HTTP server (see prom_serve.h): one thread, one poll()
 * loop, non-blocking sockets, a deadline per connection. HTTP/1.0 style:
 * one request per connection, answered and closed. */
#include "prom_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum cstate { C_FREE, C_READ, C_WRITE, C_DRAIN };

struct client {
    int fd;
    enum cstate st;
    double deadline;
    char req[AIB_PROM_HEADER_MAX];
    size_t rlen;
    char *resp;
    size_t wlen, woff;
};

struct aib_prom_server {
    int lfd;
    int wake[2]; /* a byte on wake[1] stops the thread */
    pthread_t th;
    bool started;
    char addr[80];
    pthread_mutex_t mu; /* guards body, blen */
    char *body;
    size_t blen;
    struct client c[AIB_PROM_MAX_CLIENTS]; /* the thread's own */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int aib_prom_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        struct aib_err *err)
{
    char host[64] = "127.0.0.1", port[16];
    const char *p = text, *colon;
    if (!text || !*text)
        goto bad;
    if (*p == '[') { /* [IPv6]:PORT */
        const char *end = strchr(p, ']');
        if (!end || end[1] != ':' || (size_t)(end - p - 1) >= sizeof host)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(end - p - 1), p + 1);
        p = end + 2;
    } else if ((colon = strrchr(p, ':'))) {
        if (strchr(p, ':') != colon) {
            return aib_err_set(err, AIB_EUSAGE,
                               "bad address '%s' for --prometheus: an IPv6 address goes in "
                               "brackets, as [::1]:9464",
                               text);
        }
        if ((size_t)(colon - p) >= sizeof host)
            goto bad;
        if (colon > p)
            snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
        p = colon + 1;
    }
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) > 65535)
        goto bad;
    snprintf(port, sizeof port, "%s", p);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        if (ai)
            freeaddrinfo(ai);
        goto bad;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
bad:
    return aib_err_set(err, AIB_EUSAGE,
                       "bad address '%s' for --prometheus: expected [ADDR:]PORT, ADDR an IP "
                       "address (default 127.0.0.1), PORT 0 to 65535",
                       text ? text : "");
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char h[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
        snprintf(buf, len, "[%s]:%u", h, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
        snprintf(buf, len, "%s:%u", h, ntohs(a->sin_port));
    }
}

int aib_prom_server_open(const char *addr, struct aib_prom_server **out, struct aib_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = aib_prom_parse_addr(addr, &ss, &sl, err);
    if (rc)
        return rc;
    struct aib_prom_server *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->lfd = s->wake[0] = s->wake[1] = -1;
    bool have_mu = false;
    char want[80];
    addr_text(&ss, want, sizeof want);
    s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    /* SO_REUSEADDR lets a restart bind at once past TIME_WAIT; a port
     * another socket listens on is still refused. */
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s->lfd, (struct sockaddr *)&ss, sl) != 0 || listen(s->lfd, 64) != 0) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot listen on %s: %s", want, strerror(errno));
        goto fail;
    }
    sl = sizeof ss;
    getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
    addr_text(&ss, s->addr, sizeof s->addr);
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0 || pthread_mutex_init(&s->mu, NULL) != 0) {
        rc = aib_err_set(err, AIB_ERUN, "cannot set up the metrics server: %s", strerror(errno));
        goto fail;
    }
    have_mu = true;
    for (size_t i = 0; i < AIB_PROM_MAX_CLIENTS; i++)
        s->c[i].fd = -1;
    *out = s;
    return 0;
fail:
    if (have_mu)
        pthread_mutex_destroy(&s->mu);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
    return rc;
}

const char *aib_prom_server_addr(const struct aib_prom_server *s) { return s->addr; }

int aib_prom_server_publish(struct aib_prom_server *s, const char *body, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return AIB_ENOMEM;
    memcpy(copy, body, len);
    copy[len] = '\0';
    pthread_mutex_lock(&s->mu);
    char *old = s->body;
    s->body = copy;
    s->blen = len;
    pthread_mutex_unlock(&s->mu);
    free(old);
    return 0;
}

static void drop(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->resp);
    c->resp = NULL;
    c->fd = -1;
    c->st = C_FREE;
}

/* Builds the whole response (headers and body) for the client to send. */
static void respond(struct aib_prom_server *s, struct client *c, int code, const char *reason,
                    const char *extra_header, bool metrics)
{
    char head[256], msg[96] = "";
    const char *body = msg;
    size_t blen;
    if (metrics)
        pthread_mutex_lock(&s->mu);
    if (metrics && s->body) {
        body = s->body;
        blen = s->blen;
    } else {
        if (metrics) {
            code = 503;
            reason = "Service Unavailable";
        }
        snprintf(msg, sizeof msg, "%d %s%s\n", code, reason,
                 code == 404 ? ": the metrics are at /metrics" : "");
        blen = strlen(msg);
    }
    const char *type = code == 200 ? AIB_PROM_CONTENT_TYPE : "text/plain; charset=utf-8";
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                      "Connection: close\r\n\r\n",
                      code, reason, type, blen, extra_header ? extra_header : "");
    c->resp = malloc((size_t)hl + blen);
    if (c->resp) {
        memcpy(c->resp, head, (size_t)hl);
        memcpy(c->resp + hl, body, blen);
        c->wlen = (size_t)hl + blen;
        c->woff = 0;
    }
    if (metrics)
        pthread_mutex_unlock(&s->mu);
    if (!c->resp) {
        drop(c);
        return;
    }
    c->st = C_WRITE;
    c->deadline = mono() + AIB_PROM_WRITE_TIMEOUT_S;
}

/* A complete request head is in c->req: route it. */
static void handle(struct aib_prom_server *s, struct client *c)
{
    char method[16], target[1024], version[16];
    char *eol = memchr(c->req, '\n', c->rlen);
    size_t ll = eol ? (size_t)(eol - c->req) : 0;
    char line[1100];
    if (!eol || ll >= sizeof line) {
        respond(s, c, 400, "Bad Request", NULL, false);
        return;
    }
    memcpy(line, c->req, ll);
    line[ll] = '\0';
    if (ll && line[ll - 1] == '\r')
        line[ll - 1] = '\0';
    if (sscanf(line, "%15s %1023s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/", 5) != 0) {
        respond(s, c, 400, "Bad Request", NULL, false);
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond(s, c, 405, "Method Not Allowed", "Allow: GET\r\n", false);
        return;
    }
    char *q = strchr(target, '?');
    if (q)
        *q = '\0';
    if (strcmp(target, "/metrics") == 0)
        respond(s, c, 200, "OK", NULL, true);
    else
        respond(s, c, 404, "Not Found", NULL, false);
}

static bool head_complete(const struct client *c)
{
    for (size_t i = 0; i + 1 < c->rlen; i++)
        if (c->req[i] == '\n' &&
            (c->req[i + 1] == '\n' ||
             (c->req[i + 1] == '\r' && i + 2 < c->rlen && c->req[i + 2] == '\n')))
            return true;
    return false;
}

static void on_readable(struct aib_prom_server *s, struct client *c)
{
    if (c->st == C_DRAIN) { /* the answer is out: wait for the client's close */
        char junk[512];
        ssize_t n = recv(c->fd, junk, sizeof junk, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            drop(c);
        return;
    }
    ssize_t n = recv(c->fd, c->req + c->rlen, sizeof c->req - c->rlen, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(c);
        return;
    }
    if (n < 0)
        return;
    c->rlen += (size_t)n;
    if (head_complete(c))
        handle(s, c);
    else if (c->rlen == sizeof c->req)
        respond(s, c, 431, "Request Header Fields Too Large", NULL, false);
}

static void on_writable(struct client *c)
{
    ssize_t n = send(c->fd, c->resp + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        drop(c);
        return;
    }
    c->woff += (size_t)n;
    if (c->woff < c->wlen)
        return;
    /* Closing with unread bytes would reset the connection and could cut
     * the answer short: half-close and let the client close first. */
    shutdown(c->fd, SHUT_WR);
    free(c->resp);
    c->resp = NULL;
    c->st = C_DRAIN;
    double soon = mono() + 1.0;
    if (soon < c->deadline)
        c->deadline = soon;
}

static void accept_all(struct aib_prom_server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or an aborted connection: nothing to do */
        struct client *slot = NULL, *oldest = NULL;
        for (size_t i = 0; i < AIB_PROM_MAX_CLIENTS && !slot; i++) {
            struct client *c = &s->c[i];
            if (c->st == C_FREE)
                slot = c;
            else if (c->st != C_WRITE && (!oldest || c->deadline < oldest->deadline))
                oldest = c;
        }
        /* Full: the connection closest to its deadline that is not being
         * answered makes room, so idle clients cannot lock others out. */
        if (!slot && oldest) {
            drop(oldest);
            slot = oldest;
        }
        if (!slot) {
            close(fd);
            continue;
        }
        slot->fd = fd;
        slot->st = C_READ;
        slot->rlen = 0;
        slot->deadline = mono() + AIB_PROM_READ_TIMEOUT_S;
    }
}

static void *serve_main(void *arg)
{
    struct aib_prom_server *s = arg;
    struct pollfd pf[AIB_PROM_MAX_CLIENTS + 2];
    struct client *who[AIB_PROM_MAX_CLIENTS + 2];
    pthread_setname_np(pthread_self(), "aib-prom-http");
    for (;;) {
        size_t n = 0;
        double now = mono(), next = now + 1.0;
        pf[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
        for (size_t i = 0; i < AIB_PROM_MAX_CLIENTS; i++) {
            struct client *c = &s->c[i];
            if (c->st == C_FREE)
                continue;
            if (now >= c->deadline) {
                drop(c); /* too slow, or silent */
                continue;
            }
            if (c->deadline < next)
                next = c->deadline;
            who[n] = c;
            pf[n++] = (struct pollfd){.fd = c->fd, .events = c->st == C_WRITE ? POLLOUT : POLLIN};
        }
        int ms = (int)((next - now) * 1000) + 1;
        if (poll(pf, n, ms) < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break;
        if (pf[1].revents & POLLIN)
            accept_all(s);
        for (size_t i = 2; i < n; i++) {
            struct client *c = who[i];
            if (c->st == C_FREE || !pf[i].revents)
                continue;
            if (c->st == C_WRITE && (pf[i].revents & (POLLOUT | POLLERR | POLLHUP)))
                on_writable(c);
            else if (c->st != C_WRITE && (pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
                on_readable(s, c);
        }
    }
    return NULL;
}

int aib_prom_server_start(struct aib_prom_server *s, struct aib_err *err)
{
    if (pthread_create(&s->th, NULL, serve_main, s) != 0)
        return aib_err_set(err, AIB_ERUN, "cannot start the metrics server thread");
    s->started = true;
    return 0;
}

void aib_prom_server_close(struct aib_prom_server *s)
{
    if (!s)
        return;
    if (s->started) {
        ssize_t w = write(s->wake[1], "x", 1);
        (void)w;
        pthread_join(s->th, NULL);
    }
    for (size_t i = 0; i < AIB_PROM_MAX_CLIENTS; i++)
        if (s->c[i].st != C_FREE)
            drop(&s->c[i]);
    close(s->lfd);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
    free(s->body);
    free(s);
}
