/* Prometheus names, units, escaping and number formatting (see prom.h).
 * The word lists mirror what `promtool check metrics` (promlint) flags, so
 * a name accepted here passes there. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* promlint: abbreviated units it rejects as a word of a name. */
static const char *const abbrev[] = {"s",  "ms", "us", "ns", "sec", "b", "kb",
                                     "mb", "gb", "tb", "pb", "m",   "h", "d"};
/* promlint: units it recognises; the first ten are base units. */
static const char *const units[] = {"amperes", "bytes",   "celsius", "grams",  "joules",
                                    "kelvin",  "meters",  "metres",  "seconds", "volts",
                                    "minutes", "hours",   "days",    "weeks",  "kelvins",
                                    "fahrenheit", "rankine", "inches", "yards", "miles",
                                    "bits",    "calories", "pounds", "ounces"};
#define NBASE 10
static const char *const si[] = {"pico", "nano", "micro", "milli", "centi", "deci",
                                 "deca", "hecto", "kilo",  "kibi",  "mega",  "mibi",
                                 "giga", "gibi", "tera",  "tebi",  "peta",  "pebi"};
static const char *const types[] = {"counter", "gauge", "histogram", "summary"};

static bool in_list(const char *w, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, l[i]) == 0)
            return true;
    return false;
}

/* Why promlint would flag this one word of a name, or NULL. */
static const char *word_problem(const char *w)
{
    if (in_list(w, abbrev, NELEM(abbrev)))
        return "an abbreviated unit (spell out the base unit)";
    if (in_list(w, types, NELEM(types)))
        return "a metric type in the name";
    for (size_t u = 0; u < NELEM(units); u++) {
        size_t ul = strlen(units[u]), wl = strlen(w);
        if (wl < ul || strcmp(w + wl - ul, units[u]) != 0)
            continue;
        if (wl == ul) {
            if (u >= NBASE)
                return "a non-base unit";
            continue;
        }
        for (size_t p = 0; p < NELEM(si); p++)
            if (strlen(si[p]) == wl - ul && strncmp(w, si[p], wl - ul) == 0)
                return "a non-base unit";
    }
    return NULL;
}

bool aib_prom_metric_name_ok(const char *name)
{
    if (!name || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return true;
}

bool aib_prom_label_name_ok(const char *name)
{
    return aib_prom_metric_name_ok(name) && strncmp(name, "__", 2) != 0;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

const char *aib_prom_name_problem(const char *name, bool counter)
{
    if (!aib_prom_metric_name_ok(name))
        return "not a valid metric name ([a-zA-Z_][a-zA-Z0-9_]*)";
    for (const char *c = name; *c; c++)
        if (isupper((unsigned char)*c))
            return "not snake_case";
    if (counter && !ends_with(name, "_total"))
        return "a counter's name must end in _total";
    if (!counter && ends_with(name, "_total"))
        return "only counters end in _total";
    if (!counter && (ends_with(name, "_count") || ends_with(name, "_sum") ||
                     ends_with(name, "_bucket")))
        return "_count, _sum and _bucket are kept for histograms and summaries";
    /* Every word but the first (promlint looks for "_word_" and "_word"). */
    const char *w = strchr(name, '_');
    while (w) {
        const char *next = strchr(w + 1, '_');
        size_t len = next ? (size_t)(next - w - 1) : strlen(w + 1);
        char word[64];
        if (len && len < sizeof word) {
            memcpy(word, w + 1, len);
            word[len] = '\0';
            const char *why = word_problem(word);
            if (why)
                return why;
        }
        w = next;
    }
    return NULL;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++, (*n)++)
        if (*n + 1 < cap)
            out[*n] = s[i];
}

static size_t escape(const char *in, char *out, size_t cap, bool quote)
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)in;
    while (*s) {
        size_t l = utf8_len(s);
        if (*s == '\\')
            put(out, cap, &n, "\\\\", 2);
        else if (*s == '\n')
            put(out, cap, &n, "\\n", 2);
        else if (*s == '"' && quote)
            put(out, cap, &n, "\\\"", 2);
        else if (l == 0)
            put(out, cap, &n, "?", 1);
        else
            put(out, cap, &n, (const char *)s, l);
        s += l ? l : 1;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t aib_prom_escape_label(const char *in, char *out, size_t cap)
{
    return escape(in, out, cap, true);
}

size_t aib_prom_escape_help(const char *in, char *out, size_t cap)
{
    return escape(in, out, cap, false);
}

void aib_prom_format_value(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, len, "%cInf", v > 0 ? '+' : '-');
    } else {
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, len, "%.17g", v);
    }
}

void aib_prom_snake(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    bool gap = false;
    if (!cap)
        return;
    for (const unsigned char *c = (const unsigned char *)in; *c && n + 1 < cap; c++) {
        if (!isalnum(*c)) {
            gap = n > 0;
            continue;
        }
        if (gap && n + 2 < cap)
            out[n++] = '_';
        gap = false;
        out[n++] = (char)tolower(*c);
    }
    out[n] = '\0';
}

static const struct {
    const char *unit, *suffix;
    double scale;
} unit_map[] = {
    {"", "", 1},
    {"s", "seconds", 1},          {"ms", "seconds", 1e-3},        {"us", "seconds", 1e-6},
    {"ns", "seconds", 1e-9},      {"B", "bytes", 1},              {"kB", "bytes", 1e3},
    {"KB", "bytes", 1e3},         {"MB", "bytes", 1e6},           {"GB", "bytes", 1e9},
    {"KiB", "bytes", 1024.0},     {"MiB", "bytes", 1048576.0},    {"GiB", "bytes", 1073741824.0},
    {"bit", "bytes", 0.125},      {"bits", "bytes", 0.125},       {"B/s", "bytes_per_second", 1},
    {"kB/s", "bytes_per_second", 1e3},   {"MB/s", "bytes_per_second", 1e6},
    {"GB/s", "bytes_per_second", 1e9},   {"MiB/s", "bytes_per_second", 1048576.0},
    {"GiB/s", "bytes_per_second", 1073741824.0}, {"bit/s", "bytes_per_second", 0.125},
    {"Mbit/s", "bytes_per_second", 1.25e5},      {"Gbit/s", "bytes_per_second", 1.25e8},
    {"%", "ratio", 0.01},         {"J", "joules", 1},             {"W", "watts", 1},
    {"C", "celsius", 1},          {"Hz", "hertz", 1},             {"kHz", "hertz", 1e3},
    {"MHz", "hertz", 1e6},        {"GHz", "hertz", 1e9},          {"1/s", "per_second", 1},
    {"op/s", "per_second", 1},    {"ops/s", "per_second", 1},     {"IO/s", "per_second", 1},
    {"files/s", "per_second", 1}, {"FLOP/s", "flop_per_second", 1},
    {"GFLOP/s", "flop_per_second", 1e9},  {"TFLOP/s", "flop_per_second", 1e12},
    {"GFLOP/J", "flop_per_joule", 1e9},   {"J/GFLOP", "joules_per_flop", 1e-9},
    {"J/GB", "joules_per_byte", 1e-9},    {"flop/B", "flop_per_byte", 1},
    /* counts of things: a plain number */
    {"count", "", 1}, {"CPUs", "", 1}, {"files", "", 1}, {"IOs", "", 1}, {"IO", "", 1},
    {"ops", "", 1},   {"mask", "", 1},
};

/* Splits snake_case into words (in place); returns how many. */
static size_t split(char *s, char **w, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, "_", &save); t && n < max; t = strtok_r(NULL, "_", &save))
        w[n++] = t;
    return n;
}

/* Joins words with '_' after `head` ("" for none) into out. */
static bool join(const char *head, char **w, size_t n, char *out, size_t cap)
{
    size_t at = (size_t)snprintf(out, cap, "%s", head);
    for (size_t i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? "_" : "", w[i]);
    return at < cap;
}

/* Replaces '/' by "_per_" so "a/b" reads "a per b" once in snake_case. */
static void slash_per(const char *in, char *out, size_t cap)
{
    size_t at = 0;
    for (; *in && at + 6 < cap; in++) {
        if (*in == '/') {
            memcpy(out + at, "_per_", 5);
            at += 5;
        } else {
            out[at++] = *in;
        }
    }
    out[at] = '\0';
}

void aib_prom_unit(const char *unit, char *suffix, size_t cap, double *scale)
{
    *scale = 1;
    for (size_t i = 0; i < NELEM(unit_map); i++)
        if (strcmp(unit, unit_map[i].unit) == 0) {
            snprintf(suffix, cap, "%s", unit_map[i].suffix);
            *scale = unit_map[i].scale;
            return;
        }
    /* Unknown: spelled out, without words promtool would flag. */
    char tmp[128], snake[128], *w[16], *keep[16];
    slash_per(unit, tmp, sizeof tmp);
    aib_prom_snake(tmp, snake, sizeof snake);
    size_t n = split(snake, w, 16), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i], "s") == 0 || strcmp(w[i], "sec") == 0)
            w[i] = "second"; /* "x/s": per second */
        if (!word_problem(w[i]))
            keep[k++] = w[i];
    }
    if (k && strcmp(keep[k - 1], "per") == 0)
        k--;
    if (!join("", keep, k, suffix, cap))
        suffix[0] = '\0';
}

/* Words at the end of a metric's name that only repeat its unit. */
static const char *const unit_words[] = {
    "s",    "ms",    "us",    "ns",    "sec",   "secs",  "second", "seconds", "b",     "kb",
    "mb",   "gb",    "tb",    "pb",    "kib",   "mib",   "gib",    "byte",    "bytes", "bit",
    "bits", "kbit",  "mbit",  "gbit",  "pct",   "percent", "hz",   "khz",     "mhz",   "ghz",
    "w",    "watt",  "watts", "j",     "joule", "joules", "flop",  "flops",   "gflop", "gflops",
    "tflop", "tflops", "per",
};

bool aib_prom_metric_for(const char *prefix, const char *metric, const char *unit, char *out,
                         size_t cap, double *scale)
{
    char suffix[128], tmp[256], stem[256], dim[8], *w[32], *keep[34];
    aib_prom_unit(unit, suffix, sizeof suffix, scale);
    slash_per(metric, tmp, sizeof tmp);
    aib_prom_snake(tmp, stem, sizeof stem);
    size_t n = split(stem, w, 32), k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i], "iter") == 0)
            w[i] = "iteration";
    /* With a unit, its spelling in the name gives way to the suffix. */
    while (*unit && n && in_list(w[n - 1], unit_words, NELEM(unit_words)))
        n--;
    if (n == 1 && strlen(w[0]) == 1) {
        /* A one-letter name (matmul's m, n, k) is a dimension, not metres. */
        snprintf(dim, sizeof dim, "%sdim", w[0]);
        keep[k++] = dim;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!word_problem(w[i]))
                keep[k++] = w[i];
    }
    if (*suffix)
        keep[k++] = suffix;
    if (!k || !join(prefix, keep, k, out, cap))
        return false;
    if (ends_with(out, "_total") || ends_with(out, "_count") || ends_with(out, "_sum") ||
        ends_with(out, "_bucket")) {
        size_t l = strlen(out);
        if (l + 7 > cap)
            return false;
        memcpy(out + l, "_value", 7);
    }
    return aib_prom_name_problem(out, false) == NULL;
}
