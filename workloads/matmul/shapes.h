/* GEMM shapes taken from real models (transformer projections, MLPs and
 * attention products at realistic token counts) and from Baidu DeepBench's
 * training GEMM list, selected by name with the matmul `shape` parameter.
 * Convention: C (m x n) = A (m x k) * B (k x n), so for a linear layer over
 * T tokens, m = T, n = output features, k = input features. Shared by the
 * CPU, CUDA and OpenCL matmul variants. */
#ifndef AIB_GEMM_SHAPES_H
#define AIB_GEMM_SHAPES_H

#include <stddef.h>
#include <stdint.h>

#include "../../bench/err.h"

struct aib_gemm_shape {
    const char *name;   /* "llama7b-mlp-up-t2048" */
    int64_t m, n, k;
    const char *source; /* model and layer it comes from */
};

/* The whole built-in list (static storage, never freed); *n gets its length. */
const struct aib_gemm_shape *aib_gemm_shapes(size_t *n);
/* The shape with this exact name, or NULL. */
const struct aib_gemm_shape *aib_gemm_shape_find(const char *name);
/* m, n, k of a matmul variant's parameters: the named shape's, or with
 * shape "none" (or "") n, m, k with 0 meaning n. AIB_EUSAGE listing the
 * built-in shapes when the name is unknown (so shape=list shows them). */
int aib_gemm_dims(const char *shape, int64_t n, int64_t m, int64_t k, int64_t *om, int64_t *on, int64_t *ok,
                  struct aib_err *err);

/* All names in `buf`, runs with a common prefix in brace form
 * ("llama7b-{qkv-t2048,attn-out-t2048} gpt2-qkv-t1024"); returns 0 when
 * they did not all fit (buf then ends early). */
int aib_gemm_shape_names(char *buf, size_t len);
/* The same for any list of names (used for the conv layers too). */
int aib_names_grouped(const char *const *names, size_t n, char *buf, size_t len);

#endif
