/* Internal to the results store (store_open.c and store.c), not for other
 * modules: the one connection helper the write path shares with the
 * opening code. The helpers store_read.c also uses are declared in store.h. */
#ifndef AIB_STORE_INTERNAL_H
#define AIB_STORE_INTERNAL_H

struct sqlite3;

/* Runs one constant statement to completion and returns the SQLite result
 * code. Constant: values are always bound, never pasted into SQL. */
int aib_store_exec_(struct sqlite3 *db, const char *sql);

#endif
