#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

const char *aib_fmt_seconds(double s, char *buf, size_t len)
{
    static const char *const unit[] = {"ns", "us", "ms", "s"};
    static const double scale[] = {1e-9, 1e-6, 1e-3, 1};
    int u = 3;
    if (!isfinite(s)) {
        snprintf(buf, len, "-");
        return buf;
    }
    for (int i = 0; i < 4; i++) {
        if (fabs(s) < scale[i] * 1000.0 || i == 3) {
            u = i;
            break;
        }
    }
    double v = s / scale[u];
    snprintf(buf, len, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit[u]);
    return buf;
}

const char *aib_fmt_bytes(double b, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024.0 && u < 4) {
        b /= 1024.0;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", b, unit[u]);
    return buf;
}

const char *aib_fmt_time(double unix_s, char *buf, size_t len)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "-");
    return buf;
}
