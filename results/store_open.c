/* SQLite results store: resolving the path, opening (with the checks that
 * leave foreign or corrupt files untouched) and schema migrations. The write
 * path and its transactions are in store.c; reads, reference resolution and
 * delete in store_read.c. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* "AIB!" (0x41494221) as PRAGMA application_id: marks a file as ours. Decimal,
 * because it is pasted into the migration's PRAGMA text. */
#define AIB_APP_ID 1095320097
#define AIB_BUSY_TIMEOUT_MS 10000

#define STR_(x) #x
#define STR(x) STR_(x)

/* Only this file sees the fields; store.c and store_read.c go through
 * aib_store_db_() and aib_store_path(), so the layout can change here alone. */
struct aib_store {
    sqlite3 *db;
    char *path;
};

/* Forward migrations: migrations[i] takes the schema from version i to i+1.
 * Add a version by appending one string; never edit a shipped one. Each runs
 * inside the same BEGIN IMMEDIATE transaction as the user_version update. */
static const char *const migrations[] = {
    /* 1: initial schema. runs.id is AUTOINCREMENT so a deleted run's id is
     * never given to a later run (ids are what users type). */
    "PRAGMA application_id = " STR(AIB_APP_ID) ";"
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT UNIQUE NOT NULL,"
    "  status TEXT NOT NULL, suite TEXT NOT NULL DEFAULT '',"
    "  cmdline TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '',"
    "  started REAL, ended REAL);"
    "CREATE TABLE run_env("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, key));"
    "CREATE TABLE results("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  workload TEXT NOT NULL, device TEXT NOT NULL, params TEXT NOT NULL,"
    "  status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',"
    "  iters_per_sample INTEGER, n INTEGER, min REAL, max REAL, mean REAL,"
    "  median REAL, stddev REAL, cv REAL, p95 REAL, ci_lo REAL, ci_hi REAL,"
    "  mad REAL, outliers INTEGER, flops REAL, bytes REAL, ops REAL,"
    "  throughput REAL, unit TEXT NOT NULL DEFAULT '', started REAL, ended REAL);"
    "CREATE INDEX results_run ON results(run_id);"
    "CREATE TABLE samples("
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, seconds REAL, PRIMARY KEY(result_id, idx)) WITHOUT ROWID;",
    /* 2: figures a workload reports beside the timing (valid = 0: missing). */
    "CREATE TABLE result_metrics("
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, value REAL, unit TEXT NOT NULL DEFAULT '',"
    "  valid INTEGER NOT NULL DEFAULT 1, note TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(result_id, name));",
    /* 3: where a run came from (git commit and branch of its directory, host
     * fingerprint) for the CI gate, and named tags on runs. */
    "ALTER TABLE runs ADD COLUMN git_commit TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN git_branch TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX runs_suite_fp ON runs(suite, fingerprint, id);"
    "CREATE TABLE tags("
    "  name TEXT PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  created REAL);"
    "CREATE INDEX tags_run ON tags(run_id);",
    /* 4: series sampled during a run (profilers/series_store.c): one row per
     * series with its summary; t and v are n little-endian float64 each
     * (t: seconds since t0, unix seconds). result_id NULL: run-wide. */
    "CREATE TABLE IF NOT EXISTS series("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  result_id INTEGER REFERENCES results(id) ON DELETE CASCADE,"
    "  source TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '',"
    "  t0 REAL NOT NULL, n INTEGER NOT NULL, min REAL, mean REAL, max REAL,"
    "  t BLOB NOT NULL, v BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS series_run ON series(run_id, result_id);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int aib_store_schema_version(void) { return N_MIGRATIONS; }

const char *aib_store_path(const struct aib_store *s) { return s ? s->path : ""; }

struct sqlite3 *aib_store_db_(struct aib_store *s) { return s->db; }

static const char *errstr(int e, char *buf, size_t len)
{
    /* GNU strerror_r: thread-safe, may return a static string instead of buf. */
    return strerror_r(e, buf, len);
}

int aib_store_exec_(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        do
            rc = sqlite3_step(st);
        while (rc == SQLITE_ROW);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads a single integer (a PRAGMA or count). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto cleanup;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *v = 0;
        rc = SQLITE_OK;
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}

int aib_store_sqlerr_(struct aib_store *s, int src, const char *what, struct aib_err *err)
{
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
    const char *path = aib_store_path(s);
    switch (src & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return aib_err_set(err, AIB_EIO, "database %s is locked by another process (%s)", path,
                           what);
    case SQLITE_READONLY:
        return aib_err_set(err, AIB_EUSAGE, "database %s is read-only (%s)", path, what);
    case SQLITE_NOTADB:
        return aib_err_set(err, AIB_EUSAGE,
                           "%s is not an aibench results database (file is not a database)", path);
    default:
        return aib_err_set(err, AIB_EIO, "database %s: %s: %s", path, what, msg);
    }
}

/* --- resolving the path ---------------------------------------------- */

int aib_store_resolve_path(const char *explicit_path, char *buf, size_t len, bool *is_default,
                           struct aib_err *err)
{
    const char *env = getenv("AIBENCH_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    *is_default = false;
    if (explicit_path) {
        if (!*explicit_path)
            return aib_err_set(err, AIB_EUSAGE, "the database path (--db) is empty");
        n = snprintf(buf, len, "%s", explicit_path);
    } else if (env && *env) {
        n = snprintf(buf, len, "%s", env);
    } else if (xdg && xdg[0] == '/') { /* the XDG spec says to ignore relative values */
        *is_default = true;
        n = snprintf(buf, len, "%s/aibench/results.db", xdg);
    } else if (home && *home) {
        *is_default = true;
        n = snprintf(buf, len, "%s/.local/share/aibench/results.db", home);
    } else {
        return aib_err_set(err, AIB_EUSAGE,
                           "no place for the results database: set HOME, XDG_DATA_HOME or "
                           "AIBENCH_DB, or pass --db PATH");
    }
    if (n < 0 || (size_t)n >= len)
        return aib_err_set(err, AIB_EUSAGE, "database path is too long");
    return 0;
}

/* --- creating the file ------------------------------------------------ */

static void parent_dir(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* mkdir -p with mode 0700: the results say what hardware a user has. */
static int mkdir_p(const char *path, const char *dir, struct aib_err *err)
{
    char buf[4096], eb[128];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return aib_err_set(err, AIB_EUSAGE, "database path %s is too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return aib_err_set(err, AIB_EUSAGE, "cannot create database %s: mkdir %s: %s", path,
                               buf, errstr(errno, eb, sizeof eb));
        *p = c;
        if (c == '\0')
            return 0;
    }
}

/* --- checking an existing file, read-only ------------------------------- */

static int not_ours(const char *path, const char *why, struct aib_err *err)
{
    return aib_err_set(err, AIB_EUSAGE, "%s is not an aibench results database (%s)", path, why);
}

static int newer(const char *path, int64_t version, struct aib_err *err)
{
    return aib_err_set(err, AIB_EUSAGE,
                       "%s has schema version %lld, newer than this aibench supports (%d); "
                       "upgrade aibench",
                       path, (long long)version, N_MIGRATIONS);
}

/* What identifies a file as ours: application_id, user_version, table count,
 * read from one snapshot (outside a transaction, a creator committing between
 * two reads would show tables without the id). */
static int read_ident(sqlite3 *db, int64_t *app, int64_t *version, int64_t *ntables)
{
    bool own_tx = sqlite3_get_autocommit(db);
    int src = own_tx ? aib_store_exec_(db, "BEGIN") : SQLITE_OK;
    if (src == SQLITE_OK)
        src = query_int(db, "PRAGMA application_id", app);
    if (src == SQLITE_OK)
        src = query_int(db, "PRAGMA user_version", version);
    if (src == SQLITE_OK)
        src = query_int(db, "SELECT count(*) FROM sqlite_master", ntables);
    /* Read-only, so nothing to lose; on failure the caller closes the
     * connection instead, which keeps sqlite3_errmsg() about the failure. */
    if (own_tx && src == SQLITE_OK)
        src = aib_store_exec_(db, "COMMIT");
    return src;
}

/* Looks at an existing file without writing anything: application_id,
 * user_version and the table count through a read-only connection (never a
 * raw open() and close(), which would drop the POSIX locks of any other
 * connection this process has on the file). Sets *version to the schema
 * version found. */
static int check_existing(const char *path, int64_t *version, struct aib_err *err)
{
    sqlite3 *db = NULL;
    int64_t app = 0, ntables = 0;
    int rc = 0, src;
    src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (src != SQLITE_OK) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot open database %s: %s", path,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
        goto cleanup;
    }
    /* A writer checkpointing at this moment holds a lock briefly. */
    sqlite3_busy_timeout(db, AIB_BUSY_TIMEOUT_MS);
    src = read_ident(db, &app, version, &ntables);
    if ((src & 0xff) == SQLITE_NOTADB || (src & 0xff) == SQLITE_CORRUPT) {
        rc = not_ours(path, (src & 0xff) == SQLITE_NOTADB ? "file is not a database"
                                                          : "file is corrupt",
                      err);
    } else if ((src & 0xff) == SQLITE_READONLY || (src & 0xff) == SQLITE_CANTOPEN) {
        /* A WAL database needs its -shm file even to be read. */
        rc = aib_err_set(err, AIB_EUSAGE,
                         "cannot read database %s: %s (reading needs write access to the "
                         "directory or an existing %s-shm)",
                         path, sqlite3_errmsg(db), path);
    } else if (src != SQLITE_OK) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot read database %s: %s", path, sqlite3_errmsg(db));
    } else if (app == AIB_APP_ID) {
        if (*version > N_MIGRATIONS)
            rc = newer(path, *version, err);
    } else if (app != 0) {
        rc = not_ours(path, "it belongs to another application", err);
    } else if (*version != 0 || ntables != 0) {
        rc = not_ours(path, "it holds another application's tables", err);
    }
cleanup:
    sqlite3_close(db);
    return rc;
}

/* --- migrations --------------------------------------------------------- */

static int migrate(struct aib_store *s, struct aib_err *err)
{
    int64_t app = 0, version = 0, ntables = 0;
    char sql[64];
    int src = query_int(s->db, "PRAGMA user_version", &version);
    if (src == SQLITE_OK && version == N_MIGRATIONS)
        return 0;
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    /* Read again under the write lock: another process may have migrated
     * (or created) the schema since we looked. */
    src = read_ident(s->db, &app, &version, &ntables);
    if (src != SQLITE_OK) {
        rc = aib_store_sqlerr_(s, src, "cannot read the schema version", err);
        goto cleanup;
    }
    if (app != AIB_APP_ID && (app != 0 || version != 0 || ntables != 0)) {
        rc = not_ours(s->path, "it changed while being opened", err);
        goto cleanup;
    }
    if (version > N_MIGRATIONS) {
        rc = newer(s->path, version, err);
        goto cleanup;
    }
    for (int64_t v = version; v < N_MIGRATIONS; v++) {
        src = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL);
        if (src != SQLITE_OK) {
            rc = aib_store_sqlerr_(s, src, "schema migration failed", err);
            goto cleanup;
        }
    }
    /* PRAGMA takes no bound parameters; the value is this build's constant. */
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", N_MIGRATIONS);
    src = aib_store_exec_(s->db, sql);
    if (src != SQLITE_OK)
        rc = aib_store_sqlerr_(s, src, "cannot set the schema version", err);
cleanup:
    return aib_store_tx_end_(s, rc, err);
}

static int open_connection(struct aib_store *s, bool writable, bool created, struct aib_err *err)
{
    int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY; /* never CREATE: done */
    int src = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    if (src != SQLITE_OK)
        return aib_err_set(err, AIB_EUSAGE, "cannot open database %s: %s", s->path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, AIB_BUSY_TIMEOUT_MS);
    src = aib_store_exec_(s->db, "PRAGMA foreign_keys = ON");
    if (src == SQLITE_OK && writable)
        /* WAL lets readers run beside one writer. Where the filesystem lacks
         * shared memory SQLite keeps the rollback journal, which is slower
         * but just as safe, so that is not an error. */
        src = aib_store_exec_(s->db, "PRAGMA journal_mode = WAL");
    if (src != SQLITE_OK)
        return aib_store_sqlerr_(s, src, "cannot configure the connection", err);
    if (created) {
        /* SQLite copies the database file's mode to these; make sure anyway. */
        char side[4200];
        snprintf(side, sizeof side, "%s-wal", s->path);
        (void)chmod(side, 0600);
        snprintf(side, sizeof side, "%s-shm", s->path);
        (void)chmod(side, 0600);
    }
    return 0;
}

/* Checks (or with mkdir_parent, creates) the directory a new database goes in. */
static int prepare_dir(const char *path, const char *dir, bool mkdir_parent, struct aib_err *err)
{
    char eb[128];
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return aib_err_set(err, AIB_EUSAGE, "cannot create database %s: %s: %s", path, dir,
                               errstr(errno, eb, sizeof eb));
        if (!mkdir_parent)
            return aib_err_set(err, AIB_EUSAGE,
                               "cannot create database %s: directory %s does not exist", path, dir);
        int rc = mkdir_p(path, dir, err);
        if (rc)
            return rc;
    } else if (!S_ISDIR(st.st_mode)) {
        return aib_err_set(err, AIB_EUSAGE, "cannot create database %s: %s is not a directory",
                           path, dir);
    }
    if (access(dir, W_OK | X_OK) != 0)
        return aib_err_set(err, AIB_EUSAGE,
                           "cannot create database %s: directory %s is not writable", path, dir);
    return 0;
}

/* Builds a complete database (mode 0600, WAL, schema) under a temporary
 * name beside PATH, then links it into place, which fails if PATH exists.
 * So PATH never exists half-initialized, and two processes creating it at
 * once cannot race on the switch to WAL (which SQLite does not guard well
 * on a fresh file). *created stays false when another process won. */
static int create_db(const char *path, bool mkdir_parent, bool *created, struct aib_err *err)
{
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char dir[4096], tmp[4200], side[4300], eb[128];
    struct aib_store t = {0};
    bool placed = false;
    parent_dir(path, dir, sizeof dir);
    int rc = prepare_dir(path, dir, mkdir_parent, err);
    if (rc)
        return rc;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return aib_err_set(err, AIB_EUSAGE, "database path %s is too long", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL, mode 0600 */
    if (fd < 0)
        return aib_err_set(err, AIB_EUSAGE, "cannot create database %s: %s", path,
                           errstr(errno, eb, sizeof eb));
    /* A umask such as 0277 would narrow 0600 further; make it exactly 0600. */
    int frc = fchmod(fd, 0600), ferr = errno;
    close(fd);
    if (frc != 0) {
        rc = aib_err_set(err, AIB_EIO, "cannot set the mode of %s: %s", tmp,
                         errstr(ferr, eb, sizeof eb));
        goto cleanup;
    }
    t.path = tmp;
    if ((rc = open_connection(&t, true, true, err)) || (rc = migrate(&t, err)))
        goto cleanup;
    /* Only the main file is linked into place: move everything into it. The
     * first column is 1 when the checkpoint could not finish. */
    int64_t busy = 1;
    int src = query_int(t.db, "PRAGMA wal_checkpoint(TRUNCATE)", &busy);
    if (src != SQLITE_OK || busy != 0) {
        rc = aib_store_sqlerr_(&t, src == SQLITE_OK ? SQLITE_BUSY : src,
                               "cannot checkpoint the new database", err);
        goto cleanup;
    }
    sqlite3_close(t.db);
    t.db = NULL;
    if (link(tmp, path) == 0) {
        *created = true;
    } else if (errno != EEXIST) {
        /* Filesystems without hard links: a rename that never replaces. */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            *created = placed = true;
        else if (errno != EEXIST)
            rc = aib_err_set(err, AIB_EUSAGE, "cannot create database %s: %s", path,
                             errstr(errno, eb, sizeof eb));
    }
cleanup:
    sqlite3_close(t.db);
    for (size_t i = placed ? 1 : 0; i < sizeof sides / sizeof sides[0]; i++) {
        snprintf(side, sizeof side, "%s%s", tmp, sides[i]);
        (void)unlink(side);
    }
    return rc;
}

int aib_store_open(const char *path, bool create, bool mkdir_parent, struct aib_store **out,
                   struct aib_err *err)
{
    struct aib_store *s = NULL;
    struct stat st;
    bool created = false, writable;
    int64_t version = 0;
    char eb[128];
    int rc = 0;
    *out = NULL;
    if (!path || !*path)
        return aib_err_set(err, AIB_EUSAGE, "no database path given");
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return aib_err_set(err, AIB_EUSAGE, "cannot open database %s: %s", path,
                               errstr(errno, eb, sizeof eb));
        if (!create)
            return aib_err_set(err, AIB_EUSAGE, "no results database at %s", path);
        rc = create_db(path, mkdir_parent, &created, err);
        if (rc)
            return rc;
    } else if (!S_ISREG(st.st_mode)) {
        return not_ours(path, "not a regular file", err);
    }
    if (!created) {
        rc = check_existing(path, &version, err);
        if (rc)
            return rc;
    }
    /* Read commands on a database the user may not write still work. */
    writable = created || access(path, W_OK) == 0;
    if (!writable && create)
        return aib_err_set(err, AIB_EUSAGE, "database %s is not writable", path);
    if (!writable && version != N_MIGRATIONS)
        return aib_err_set(err, AIB_EUSAGE,
                           "database %s has schema version %lld and is read-only, so it cannot "
                           "be upgraded to version %d",
                           path, (long long)version, N_MIGRATIONS);
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory opening %s", path);
        goto cleanup;
    }
    rc = open_connection(s, writable, created, err);
    if (rc == 0 && writable)
        rc = migrate(s, err);
cleanup:
    if (rc)
        aib_store_close(s);
    else
        *out = s;
    return rc;
}

void aib_store_close(struct aib_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db); /* every statement is finalized where it is used */
    free(s->path);
    free(s);
}

int aib_store_open_readonly(const char *path, struct aib_store **out, struct aib_err *err)
{
    struct aib_store *s = NULL;
    struct stat st;
    int64_t version = 0;
    int rc;
    *out = NULL;
    if (!path || !*path)
        return aib_err_set(err, AIB_EUSAGE, "no database path given");
    if (stat(path, &st) != 0)
        return aib_err_set(err, AIB_EUSAGE, "no results database at %s", path);
    if (!S_ISREG(st.st_mode))
        return not_ours(path, "not a regular file", err);
    if ((rc = check_existing(path, &version, err)))
        return rc;
    /* Never migrated here: an older schema lacks columns the reads use. */
    if (version != N_MIGRATIONS)
        return aib_err_set(err, AIB_EUSAGE,
                           "database %s has schema version %lld, not %d: open it once with this "
                           "aibench (aibench --db %s results list) to upgrade it",
                           path, (long long)version, N_MIGRATIONS, path);
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory opening %s", path);
        goto cleanup;
    }
    rc = open_connection(s, false, false, err);
cleanup:
    if (rc)
        aib_store_close(s);
    else
        *out = s;
    return rc;
}
