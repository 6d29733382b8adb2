#include "gpu_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int aib_devtime_add(struct aib_devtime *t, double seconds, uint64_t iters, struct aib_err *err)
{
    if (!t->timing || iters == 0)
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        double *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return aib_err_set(err, AIB_ENOMEM, "out of memory recording device times");
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = seconds / (double)iters;
    return 0;
}

void aib_devtime_verified(struct aib_devtime *t)
{
    t->timing = true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int aib_devtime_metrics(const struct aib_devtime *t, const struct aib_work *work, const char *how,
                        struct aib_result *r, struct aib_err *err)
{
    char note[128];
    snprintf(note, sizeof note, "%s", how && how[0] ? how : "device events");
    if (t->n == 0) {
        /* No timed sample: the figures are missing, not zero. */
        if (aib_result_set_metric(r, "device_time", 0, "s", 0, "no timed samples") ||
            aib_result_set_metric(r, "device_throughput", 0, "", 0, "no timed samples"))
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
        return 0;
    }
    double *s = malloc(t->n * sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    memcpy(s, t->v, t->n * sizeof *s);
    qsort(s, t->n, sizeof *s, cmp_double);
    double med = t->n % 2 ? s[t->n / 2] : 0.5 * (s[t->n / 2 - 1] + s[t->n / 2]);
    free(s);
    bool flops = work->flops > 0;
    double per = flops ? work->flops : work->bytes;
    int bad = aib_result_set_metric(r, "device_time", med, "s", med > 0, note);
    bad = bad || aib_result_set_metric(r, "device_throughput", med > 0 ? per / med / 1e9 : 0,
                                       flops ? "GFLOP/s" : "GB/s", med > 0 && per > 0, note);
    return bad ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

void aib_devtime_free(struct aib_devtime *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

void aib_gpu_fmt_bytes(double b, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    snprintf(buf, len, b == (double)(int64_t)b ? "%.0f %s" : "%.2f %s", b, units[u]);
}

size_t aib_gpu_sample_index(uint64_t *seed, size_t t, size_t n)
{
    if (t == 0 || n < 2)
        return 0;
    if (t == 1)
        return n - 1;
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    return (size_t)((*seed * 0x2545F4914F6CDD1DULL) >> 11) % n;
}

void aib_refdot_add(struct aib_refdot *d, double term)
{
    d->sum += term;
    d->s1 += fabs(d->sum);
}

double aib_refdot_allowed(const struct aib_refdot *d, double u_lin, double u_out)
{
    return 2 * u_out * fabs(d->sum) + u_lin * d->s1;
}

uint16_t aib_half_from_float(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow */
        return (uint16_t)(sign | 0x7c00u);
    if (absx < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
        if (absx < 0x33000000u)
            return (uint16_t)sign;
        uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
        int shift = 113 - (int)(absx >> 23) + 13; /* to a 10-bit subnormal mantissa */
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((absx - 0x38000000u) >> 13), rem = absx & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is the right answer */
    return (uint16_t)(sign | h);
}

float aib_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, x;
    if (exp == 0x1f) {
        x = sign | 0x7f800000u | (mant << 13);
    } else if (exp == 0) {
        if (mant == 0) {
            x = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while (!(mant & 0x400u));
            x = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else {
        x = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}
