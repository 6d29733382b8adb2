/* Reference for perf_cpu_matmul.sh: times cblas_sgemm / cblas_dgemm called
 * directly, the way a user of OpenBLAS would, and prints the median
 * GFLOP/s. Inputs in [-1, 1), C = A * B row-major, like aibench's matmul.
 * usage: gemm_ref fp32|fp64 N THREADS MIN_SECONDS MIN_SAMPLES
 * Build: gcc -O2 -std=c11 gemm_ref.c $(pkg-config --cflags --libs openblas) */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void gemm(int fp64, int n, void *a, void *b, void *c)
{
    if (fp64)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: gemm_ref fp32|fp64 N THREADS MIN_SECONDS MIN_SAMPLES\n");
        return 2;
    }
    int fp64 = strcmp(argv[1], "fp64") == 0, n = atoi(argv[2]), threads = atoi(argv[3]);
    double min_s = atof(argv[4]);
    int min_reps = atoi(argv[5]);
    size_t es = fp64 ? 8 : 4, elems = (size_t)n * (size_t)n;
    char *a = aligned_alloc(64, elems * es), *b = aligned_alloc(64, elems * es);
    char *c = aligned_alloc(64, elems * es);
    double *samples = malloc(100000 * sizeof *samples);
    if (n <= 0 || !a || !b || !c || !samples) {
        fprintf(stderr, "gemm_ref: bad size or out of memory\n");
        return 1;
    }
    unsigned long long s = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < 2 * elems; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        double v = (double)((s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
        char *base = i < elems ? a : b;
        size_t j = i < elems ? i : i - elems;
        if (fp64)
            ((double *)base)[j] = v;
        else
            ((float *)base)[j] = (float)v;
    }
    openblas_set_num_threads(threads);
    gemm(fp64, n, a, b, c); /* warm-up: threads started, pages touched */
    int reps = 0;
    double start = now();
    while ((reps < min_reps || now() - start < min_s) && reps < 100000) {
        double t0 = now();
        gemm(fp64, n, a, b, c);
        samples[reps++] = now() - t0;
    }
    qsort(samples, (size_t)reps, sizeof *samples, cmp);
    double med = reps % 2 ? samples[reps / 2] : (samples[reps / 2 - 1] + samples[reps / 2]) / 2;
    printf("%.3f\n", 2.0 * n * (double)n * n / med / 1e9);
    free(a);
    free(b);
    free(c);
    free(samples);
    return 0;
}
