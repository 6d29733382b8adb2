/* Reference for perf_cpu_conv.sh: a layer's GEMM as one cblas_sgemm per
 * image and group (the operands' layout of aibench's conv impl=im2col,
 * which multiplies the same operands in L2-sized tiles), done directly on
 * a column buffer filled once, so the ratio aibench / reference shows what
 * the whole im2col convolution, copy included, costs against the multiply. Prints
 * "LAYER GFLOP/s" per layer (conv flops, 2*N*K*C/groups*R*S*P*Q, which
 * equal the GEMM flops), medians of the samples.
 * usage: conv_ref nchw|nhwc THREADS MIN_SECONDS MIN_SAMPLES LAYER...
 * Build with workloads/conv/layers.c and workloads/matmul/shapes.c. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../workloads/conv/layers.h"

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

static float *randoms(size_t n, unsigned long long *s)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    for (size_t i = 0; p && i < n; i++) {
        *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
        p[i] = (float)((double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    return p;
}

/* One layer: returns median GFLOP/s, or a negative value on error. */
static double layer(const struct aib_conv_layer *l, int nhwc, double min_s, int min_reps)
{
    long n = l->n, c = l->c, h = l->h, w = l->w, k = l->k, g = l->groups;
    long p = (h + 2L * l->pad - (long)l->dilation * (l->r - 1) - 1) / l->stride + 1;
    long q = (w + 2L * l->pad - (long)l->dilation * (l->s - 1) - 1) / l->stride + 1;
    long cg = c / g, kg = k / g, crs = cg * l->r * l->s, pq = p * q;
    int pointwise = l->r == 1 && l->s == 1 && l->stride == 1 && l->pad == 0;
    unsigned long long seed = 0x9E3779B97F4A7C15ULL;
    float *in = randoms((size_t)(n * c * h * w), &seed), *wt = randoms((size_t)(k * crs), &seed);
    float *col = randoms(pointwise ? 1 : (size_t)(crs * pq), &seed);
    float *out = randoms((size_t)(n * k * pq), &seed);
    double *samples = malloc(100000 * sizeof *samples), result = -1;
    if (!in || !wt || !col || !out || !samples)
        goto out;
    int reps = -1; /* the first call is a warm-up */
    double start = now();
    while (reps < min_reps || now() - start < min_s) {
        double t0 = now();
        for (long img = 0; img < n; img++) {
            for (long grp = 0; grp < g; grp++) {
                const float *wg = wt + grp * kg * crs;
                if (!nhwc) {
                    const float *b = pointwise ? in + (img * c + grp * cg) * h * w : col;
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)kg, (int)pq,
                                (int)crs, 1.0f, wg, (int)crs, b, (int)pq, 0.0f,
                                out + (img * k + grp * kg) * pq, (int)pq);
                } else {
                    const float *a = pointwise ? in + img * h * w * c + grp * cg : col;
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)pq, (int)kg,
                                (int)crs, 1.0f, a, pointwise ? (int)c : (int)crs, wg, (int)crs,
                                0.0f, out + img * pq * k + grp * kg, (int)k);
                }
            }
        }
        double dt = now() - t0;
        if (reps >= 0)
            samples[reps] = dt;
        if (++reps >= 100000)
            break;
        if (reps == 0)
            start = now();
    }
    qsort(samples, (size_t)reps, sizeof *samples, cmp);
    double med = reps % 2 ? samples[reps / 2] : (samples[reps / 2 - 1] + samples[reps / 2]) / 2;
    result = 2.0 * (double)n * (double)k * (double)crs * (double)pq / med / 1e9;
out:
    free(in);
    free(wt);
    free(col);
    free(out);
    free(samples);
    return result;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: conv_ref nchw|nhwc THREADS MIN_SECONDS MIN_SAMPLES LAYER...\n");
        return 2;
    }
    int nhwc = strcmp(argv[1], "nhwc") == 0;
    openblas_set_num_threads(atoi(argv[2]));
    for (int i = 5; i < argc; i++) {
        const struct aib_conv_layer *l = aib_conv_layer_find(argv[i]);
        double gf = l ? layer(l, nhwc, atof(argv[3]), atoi(argv[4])) : -1;
        if (gf < 0) {
            fprintf(stderr, "conv_ref: %s: unknown layer or out of memory\n", argv[i]);
            return 1;
        }
        printf("%s %.3f\n", argv[i], gf);
    }
    return 0;
}
