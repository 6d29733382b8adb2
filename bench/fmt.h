/* Human-readable formatting shared by the printers. */
#ifndef AIB_FMT_H
#define AIB_FMT_H

#include <stddef.h>

/* 1.23 ns / us / ms / s, three significant digits. */
const char *aib_fmt_seconds(double s, char *buf, size_t len);
/* 512 B, 4.0 KiB, 1.5 GiB. */
const char *aib_fmt_bytes(double b, char *buf, size_t len);
/* Local time "2026-11-23 18:04:49". */
const char *aib_fmt_time(double unix_s, char *buf, size_t len);

#endif
