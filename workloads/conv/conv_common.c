#include "conv_common.h"

#include <limits.h>
#include <string.h>

#include "layers.h"

int aib_conv_geom_resolve(const char *layer, struct aib_conv_geom *g, struct aib_err *err)
{
    if (layer[0] && strcmp(layer, "none") != 0) {
        const struct aib_conv_layer *l = aib_conv_layer_find(layer);
        if (!l) {
            char list[sizeof err->msg];
            aib_conv_layer_names(list, sizeof list);
            return aib_err_set(err, AIB_EUSAGE, "%s layer '%s'; built-in layers: %s",
                               strcmp(layer, "list") == 0 ? "no" : "unknown", layer, list);
        }
        g->c = l->c, g->h = l->h, g->w = l->w, g->k = l->k, g->r = l->r, g->s = l->s;
        g->stride = l->stride, g->pad = l->pad, g->dil = l->dilation, g->groups = l->groups;
    }
    return aib_conv_geom_check(g, err);
}

int aib_conv_geom_check(struct aib_conv_geom *g, struct aib_err *err)
{
    if (g->c % g->groups || g->k % g->groups)
        return aib_err_set(err, AIB_EUSAGE, "groups=%lld must divide c=%lld and k=%lld",
                           (long long)g->groups, (long long)g->c, (long long)g->k);
    int64_t eh = g->dil * (g->r - 1) + 1, ew = g->dil * (g->s - 1) + 1; /* dilated filter */
    int64_t hp = g->h + 2 * g->pad, wp = g->w + 2 * g->pad;
    if (eh > hp || ew > wp)
        return aib_err_set(err, AIB_EUSAGE, "empty output: the %lldx%lld filter (dilation %lld) "
                           "is larger than the %lldx%lld padded input", (long long)g->r,
                           (long long)g->s, (long long)g->dil, (long long)hp, (long long)wp);
    g->p = (hp - eh) / g->stride + 1;
    g->q = (wp - ew) / g->stride + 1;
    g->cg = g->c / g->groups;
    g->kg = g->k / g->groups;
    /* Element counts must fit size_t byte arithmetic (double is exact to
     * 2^53), and what one image indexes must fit an int: OpenBLAS's GEMM
     * dimensions on the CPU, the kernels' indices on GPUs. */
    double in = aib_conv_elems_in(g), wt = aib_conv_elems_wt(g), out = aib_conv_elems_out(g);
    double biggest = in > wt ? (in > out ? in : out) : (wt > out ? wt : out);
    if (biggest > 9007199254740992.0 / 8 || in / (double)g->n > INT_MAX || out / (double)g->n > INT_MAX ||
        wt > INT_MAX)
        return aib_err_set(err, AIB_EUSAGE, "n=%lld c=%lld h=%lld w=%lld k=%lld: sizes overflow",
                           (long long)g->n, (long long)g->c, (long long)g->h, (long long)g->w,
                           (long long)g->k);
    return 0;
}

double aib_conv_elems_in(const struct aib_conv_geom *g)
{
    return (double)g->n * (double)g->c * (double)g->h * (double)g->w;
}

double aib_conv_elems_wt(const struct aib_conv_geom *g)
{
    return (double)g->k * (double)(g->c / g->groups) * (double)g->r * (double)g->s;
}

double aib_conv_elems_out(const struct aib_conv_geom *g)
{
    return (double)g->n * (double)g->k * (double)g->p * (double)g->q;
}

double aib_conv_flops(const struct aib_conv_geom *g)
{
    return 2.0 * aib_conv_elems_out(g) * (double)g->cg * (double)g->r * (double)g->s;
}
