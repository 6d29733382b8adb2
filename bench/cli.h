/* Commands: each is `int cmd(struct aib_cli *, int argc, char **argv)` with
 * argv[0] the command name; it returns the process exit status
 * (0 ok, 1 run failure, 2 usage error, 130/143 interrupted). */
#ifndef AIB_CLI_H
#define AIB_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct aib_cli {
    const char *db_path;   /* --db, or NULL (then AIBENCH_DB / XDG default) */
    FILE *out;             /* stdout */
    FILE *errf;            /* stderr */
    const char *exe_dir;   /* directory of the running binary (finds plugin, suites) */
};

struct aib_command {
    const char *name;
    const char *summary; /* one line for `aibench --help` */
    int (*fn)(struct aib_cli *cli, int argc, char **argv);
};

int aib_cmd_devices(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_run(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_results(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_compare(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_ci(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_tag(struct aib_cli *cli, int argc, char **argv);
int aib_cmd_export(struct aib_cli *cli, int argc, char **argv); /* results/cmd_export.c */
int aib_cmd_import(struct aib_cli *cli, int argc, char **argv); /* results/cmd_import.c */
int aib_cmd_roofline(struct aib_cli *cli, int argc, char **argv); /* results/cmd_roofline.c */
int aib_cmd_report(struct aib_cli *cli, int argc, char **argv);   /* results/cmd_report.c */
int aib_cmd_top(struct aib_cli *cli, int argc, char **argv);    /* tui/cmd_top.c */
int aib_cmd_browse(struct aib_cli *cli, int argc, char **argv); /* tui/cmd_browse.c */
int aib_cmd_serve(struct aib_cli *cli, int argc, char **argv);  /* workloads/net/cmd_serve.c */
int aib_cmd_metrics(struct aib_cli *cli, int argc, char **argv); /* profilers/cmd_metrics.c */

/* Entry point used by main.c and tests. */
int aib_main(int argc, char **argv);

/* Prints "aibench: <msg>" on one line to cli->errf. */
void aib_cli_error(struct aib_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
