#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int aib_err_set(struct aib_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void aib_err_clear(struct aib_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int aib_err_prefix(struct aib_err *err, const char *fmt, ...)
{
    if (!err)
        return 0;
    char prefix[256], msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t pl = strlen(prefix), ml = strlen(msg), cap = sizeof err->msg - 1;
    /* Truncate explicitly: the message may be as long as the buffer. */
    if (pl > cap)
        pl = cap;
    memcpy(err->msg, prefix, pl);
    size_t used = pl;
    if (used + 2 <= cap) {
        memcpy(err->msg + used, ": ", 2);
        used += 2;
    }
    if (ml > cap - used)
        ml = cap - used;
    memcpy(err->msg + used, msg, ml);
    err->msg[used + ml] = '\0';
    return err->code;
}
