/* Convolution layer shapes from real networks (ResNet-50's distinct layers,
 * plus depthwise layers that exercise groups), selected by name with the
 * conv `layer` parameter. Input N x C x H x W, K filters of C/groups x R x S.
 * Batch n is 1 here; the conv workload lets the user override it. Shared
 * by the CPU, CUDA and OpenCL conv variants. */
#ifndef AIB_CONV_LAYERS_H
#define AIB_CONV_LAYERS_H

#include <stddef.h>

struct aib_conv_layer {
    const char *name; /* "resnet50-res3a-branch2b" */
    int n, c, h, w, k, r, s, stride, pad, dilation, groups;
};

/* The whole built-in list (static storage); *n gets its length. */
const struct aib_conv_layer *aib_conv_layers(size_t *n);
/* The layer with this exact name, or NULL. */
const struct aib_conv_layer *aib_conv_layer_find(const char *name);

/* All names, grouped as aib_gemm_shape_names does; 0 when they did not fit. */
int aib_conv_layer_names(char *buf, size_t len);

#endif
