/* `aibench serve`: the peer for `aibench run net -p peer=HOST:PORT`. Binds
 * 127.0.0.1 unless told otherwise, serves until SIGINT/SIGTERM (taken with
 * sigwait, so no handler and no global state), then stops every session. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/cli.h"
#include "net.h"

static void serve_usage(FILE *f)
{
    fprintf(f,
            "usage: aibench serve [--bind ADDR] [--port N] [--timeout S] [-q]\n"
            "\n"
            "Serves 'aibench run net -p peer=HOST:PORT' from another machine or namespace: TCP\n"
            "streams (received and checked), ping-pong echo, and UDP datagrams (counted for the\n"
            "loss) on one TCP and UDP port. Runs until Ctrl-C or SIGTERM.\n"
            "\n"
            "options:\n"
            "  --bind ADDR    address to listen on (default 127.0.0.1: this machine only;\n"
            "                 0.0.0.0 or :: for every interface)\n"
            "  --port N       TCP and UDP port (default %d; 0: any free port, printed)\n"
            "  --timeout S    drop a client silent for S seconds (default 60)\n"
            "  -q, --quiet    no line per finished session on stderr\n"
            "  -h, --help     this help\n"
            "\n"
            "Exit status: 0 after Ctrl-C/SIGTERM, 2 bad options or the port cannot be bound\n"
            "(e.g. already in use).\n",
            NET_DEFAULT_PORT);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int aib_cmd_serve(struct aib_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bind", required_argument, NULL, 'b'}, {"port", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *bind_addr = "127.0.0.1";
    double port = NET_DEFAULT_PORT, timeout = 60;
    int quiet = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":b:p:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': bind_addr = optarg; break;
        case 'p':
            if (parse_num(optarg, 0, 65535, &port) || port != (double)(int)port) {
                aib_cli_error(cli, "bad value '%s' for --port: expected 0..65535", optarg);
                return 2;
            }
            break;
        case 't':
            if (parse_num(optarg, 0.1, 86400, &timeout)) {
                aib_cli_error(cli, "bad value '%s' for --timeout: expected seconds in [0.1, 86400]",
                              optarg);
                return 2;
            }
            break;
        case 'q': quiet = 1; break;
        case 'h': serve_usage(cli->out); return 0;
        case ':': aib_cli_error(cli, "option '%s' needs a value", argv[optind - 1]); return 2;
        default:
            aib_cli_error(cli, "unknown option '%s' for serve (try 'aibench serve --help')",
                          argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        aib_cli_error(cli, "unexpected argument '%s' (try 'aibench serve --help')", argv[optind]);
        return 2;
    }
    struct aib_err err = {0};
    struct net_server_opts o = {.idle_timeout_s = timeout, .log = quiet ? NULL : cli->errf};
    if (!*bind_addr) {
        aib_cli_error(cli, "--bind needs an address");
        return 2;
    }
    if (aib_net_parse_bind(bind_addr, (int)port, &o.bind, &err)) {
        aib_cli_error(cli, "%s", err.msg);
        return 2;
    }
    /* Blocked before any thread exists: only sigwait below sees them. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    struct net_server *srv = NULL;
    int rc = aib_net_server_start(&o, &srv, &err);
    if (rc) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        aib_cli_error(cli, "%s", err.msg);
        return rc == AIB_EUSAGE ? 2 : 1;
    }
    fprintf(cli->out, "aibench serve: listening on %s (TCP and UDP); Ctrl-C stops it\n",
            aib_net_server_addr(srv)->text);
    fflush(cli->out);
    int sig = 0;
    sigwait(&set, &sig);
    uint64_t n = aib_net_server_sessions(srv);
    aib_net_server_stop(srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(cli->out, "aibench serve: stopped by %s after %llu session(s)\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", (unsigned long long)n);
    return 0;
}
