/* Sockets with a timeout on everything: connect (non-blocking + poll),
 * send and receive (SO_SNDTIMEO / SO_RCVTIMEO), and errors that say in one
 * line what happened to the peer. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"

void aib_net_addr_format(struct net_addr *a)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo((struct sockaddr *)&a->sa, a->len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(a->text, sizeof a->text, "?");
        return;
    }
    snprintf(a->text, sizeof a->text, a->sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
             port);
}

static int resolve(const char *host, const char *port, int flags, struct net_addr *out,
                   const char *what, struct aib_err *err)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | flags;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res)
        return aib_err_set(err, AIB_EUSAGE, "cannot resolve the %s host '%s': %s", what, host,
                           rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    memset(out, 0, sizeof *out);
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    aib_net_addr_format(out);
    return 0;
}

static int parse_port(const char *s, long *out)
{
    if (!*s || strlen(s) > 5)
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    *out = strtol(s, NULL, 10);
    return *out >= 1 && *out <= 65535 ? 0 : -1;
}

int aib_net_parse_hostport(const char *s, const char *what, struct net_addr *out, struct aib_err *err)
{
    char host[256];
    const char *port;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            goto bad;
        hl = (size_t)(close - s - 1);
        memcpy(host, s + 1, hl < sizeof host ? hl : 0);
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon) /* an IPv6 address needs brackets */
            goto bad;
        hl = (size_t)(colon - s);
        memcpy(host, s, hl < sizeof host ? hl : 0);
        port = colon + 1;
    }
    long pn;
    if (hl == 0 || hl >= sizeof host || parse_port(port, &pn))
        goto bad;
    host[hl] = '\0';
    return resolve(host, port, 0, out, what, err);
bad:
    return aib_err_set(err, AIB_EUSAGE,
                       "%s=%s is malformed: expected HOST:PORT with a port in 1..65535, e.g. "
                       "192.168.1.2:%d or [::1]:%d",
                       what, s, NET_DEFAULT_PORT, NET_DEFAULT_PORT);
}

int aib_net_parse_bind(const char *addr, int port, struct net_addr *out, struct aib_err *err)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    return resolve(addr, ps, AI_PASSIVE, out, "--bind", err);
}

void aib_net_set_timeouts(int fd, double timeout_s)
{
    struct timeval tv = {.tv_sec = (time_t)timeout_s,
                         .tv_usec = (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
    if (tv.tv_sec == 0 && tv.tv_usec == 0)
        tv.tv_usec = 1000;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static const char *connect_why(int e)
{
    switch (e) {
    case ECONNREFUSED: return "connection refused (is 'aibench serve' running there?)";
    case ENETUNREACH: return "network unreachable";
    case EHOSTUNREACH: return "no route to host (host unreachable)";
    default: return strerror(e);
    }
}

int aib_net_connect(const struct net_addr *a, int type, double timeout_s, int *out,
                struct aib_err *err)
{
    int fd = socket(a->sa.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return aib_err_set(err, AIB_EIO, "cannot create a socket: %s", strerror(errno));
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) != 0) {
        int e = errno;
        if (e != EINPROGRESS) {
            close(fd);
            return aib_err_set(err, AIB_EIO, "cannot connect to %s: %s", a->text, connect_why(e));
        }
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        int r = poll(&pf, 1, (int)(timeout_s * 1000 + 0.5));
        if (r <= 0) {
            e = errno;
            close(fd);
            if (r < 0 && e == EINTR)
                return aib_err_set(err, AIB_EINTR, "interrupted while connecting to %s", a->text);
            return aib_err_set(err, AIB_EIO, "cannot connect to %s: timed out after %g s",
                               a->text, timeout_s);
        }
        socklen_t el = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
            close(fd);
            return aib_err_set(err, AIB_EIO, "cannot connect to %s: %s", a->text, connect_why(e));
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    aib_net_set_timeouts(fd, timeout_s);
    *out = fd;
    return 0;
}

int aib_net_send_all(int fd, const void *buf, size_t len, double timeout_s, struct aib_err *err)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        int e = errno;
        if (e == EINTR)
            return aib_err_set(err, AIB_EINTR, "interrupted");
        if (e == EAGAIN || e == EWOULDBLOCK)
            return aib_err_set(err, AIB_EIO, "stopped receiving: no progress sending for %g s",
                               timeout_s);
        if (e == EPIPE || e == ECONNRESET)
            return aib_err_set(err, AIB_EIO, "closed the connection (%s)", strerror(e));
        if (e == ECONNREFUSED)
            return aib_err_set(err, AIB_EIO, "refused the datagrams (port unreachable: is the "
                               "server gone?)");
        return aib_err_set(err, AIB_EIO, "send failed: %s", strerror(e));
    }
    return 0;
}

int aib_net_recv_all(int fd, void *buf, size_t len, double timeout_s, struct aib_err *err)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = recv(fd, p, len, MSG_WAITALL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0)
            return aib_err_set(err, AIB_EIO, "closed the connection");
        int e = errno;
        if (e == EINTR)
            return aib_err_set(err, AIB_EINTR, "interrupted");
        if (e == EAGAIN || e == EWOULDBLOCK)
            return aib_err_set(err, AIB_EIO, "stopped responding: nothing received for %g s",
                               timeout_s);
        if (e == ECONNRESET)
            return aib_err_set(err, AIB_EIO, "closed the connection (%s)", strerror(e));
        return aib_err_set(err, AIB_EIO, "receive failed: %s", strerror(e));
    }
    return 0;
}
