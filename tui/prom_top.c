/* `aibench top --prometheus ADDR`: listen first (bad input fails before
 * anything starts), then serve beside the terminal view or, without a
 * terminal, until a stop signal. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "prom_serve.h"
#include "views.h"

int aib_prom_top(struct aib_cli *cli, const struct aib_devlist *devs, double interval_s,
                 const char *addr, bool tui)
{
    struct aib_err err = {0};
    struct aib_prom_server *srv = NULL;
    struct aib_prom_live *live = NULL;
    sigset_t stop, old;
    int status = 1, sig = 0;
    if (aib_prom_server_open(addr, &srv, &err)) {
        aib_cli_error(cli, "%s", err.msg);
        return 2;
    }
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    /* The threads started here inherit the stop signals blocked, so the
     * signals reach this thread: the view's handler, or sigwait below. */
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    if (aib_prom_live_start(devs, interval_s, srv, &live, &err) ||
        aib_prom_server_start(srv, &err)) {
        aib_cli_error(cli, "%s", err.msg);
        goto out;
    }
    fprintf(cli->errf, "aibench: serving Prometheus metrics at http://%s/metrics\n",
            aib_prom_server_addr(srv));
    fflush(cli->errf);
    if (tui) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        status = aib_top_run(devs, interval_s, &err);
        if (status != 2 || err.code != AIB_EUNAVAIL) {
            if (status == 2)
                aib_cli_error(cli, "%s", err.msg);
            goto out;
        }
        /* The terminal cannot be driven (an unknown TERM): serve without it. */
        pthread_sigmask(SIG_BLOCK, &stop, NULL);
    }
    if (sigwait(&stop, &sig) == 0)
        status = 128 + sig;
out:
    aib_prom_live_stop(live);
    aib_prom_server_close(srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}
