/* Error reporting: return 0 or a negative code; the one-line message goes
 * into a caller-owned struct (no global errno-like state). */
#ifndef AIB_ERR_H
#define AIB_ERR_H

enum aib_code {
    AIB_OK = 0,
    AIB_EUSAGE = -2,  /* bad input from the user: exit status 2 */
    AIB_ERUN = -3,    /* something failed while running */
    AIB_EVERIFY = -4, /* a workload computed a wrong answer */
    AIB_ENOMEM = -5,
    AIB_EIO = -6,
    AIB_EINTR = -7,   /* interrupted by a signal */
    AIB_EUNAVAIL = -8 /* device or feature not available */
};

struct aib_err {
    int code;
    char msg[512];
};

/* Sets code and a printf-style message; returns code so callers can
 * `return aib_err_set(err, AIB_EUSAGE, "...")`. err may be NULL. */
int aib_err_set(struct aib_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void aib_err_clear(struct aib_err *err);
/* Puts a printf-style prefix and ": " before the current message (safe:
 * the message is copied first). Returns err->code. */
int aib_err_prefix(struct aib_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
