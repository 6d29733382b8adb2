/* The built-in GEMM shape list. Model dimensions are the published ones:
 * LLaMA-7B (d=4096, ffn 11008, 32 heads of 128, vocab 32000), GPT-3 175B
 * (d=12288, ffn 49152, 96 heads of 128), BERT-large (d=1024, ffn 4096, 16
 * heads of 64), GPT-2 small (d=768, ffn 3072). Attention products are per
 * head (one batch entry of a batched GEMM). */
#include "shapes.h"

#include <stdio.h>
#include <string.h>

static const struct aib_gemm_shape shapes[] = {
    /* LLaMA-7B prefill of 2048 tokens (fused QKV; gate and up are each this size) */
    {"llama7b-qkv-t2048", 2048, 12288, 4096, "LLaMA-7B fused Q/K/V projection, 2048 tokens"},
    {"llama7b-attn-out-t2048", 2048, 4096, 4096, "LLaMA-7B attention output projection, 2048 tokens"},
    {"llama7b-mlp-up-t2048", 2048, 11008, 4096, "LLaMA-7B MLP gate/up projection, 2048 tokens"},
    {"llama7b-mlp-down-t2048", 2048, 4096, 11008, "LLaMA-7B MLP down projection, 2048 tokens"},
    {"llama7b-lm-head-t2048", 2048, 32000, 4096, "LLaMA-7B output (vocabulary) projection, 2048 tokens"},
    {"llama7b-attn-score-s2048", 2048, 2048, 128, "LLaMA-7B Q*K^T for one head, sequence 2048"},
    {"llama7b-attn-ctx-s2048", 2048, 128, 2048, "LLaMA-7B softmax(QK^T)*V for one head, sequence 2048"},
    /* LLaMA-7B small-batch decode and a chunked prefill */
    {"llama7b-qkv-t16", 16, 12288, 4096, "LLaMA-7B fused Q/K/V projection, decode batch of 16"},
    {"llama7b-mlp-up-t16", 16, 11008, 4096, "LLaMA-7B MLP gate/up projection, decode batch of 16"},
    {"llama7b-mlp-down-t16", 16, 4096, 11008, "LLaMA-7B MLP down projection, decode batch of 16"},
    {"llama7b-mlp-up-t512", 512, 11008, 4096, "LLaMA-7B MLP gate/up projection, 512-token chunk"},
    /* GPT-3 175B, one 2048-token sequence */
    {"gpt3-qkv-t2048", 2048, 36864, 12288, "GPT-3 175B fused Q/K/V projection, 2048 tokens"},
    {"gpt3-attn-out-t2048", 2048, 12288, 12288, "GPT-3 175B attention output projection, 2048 tokens"},
    {"gpt3-mlp-up-t2048", 2048, 49152, 12288, "GPT-3 175B MLP up projection, 2048 tokens"},
    {"gpt3-mlp-down-t2048", 2048, 12288, 49152, "GPT-3 175B MLP down projection, 2048 tokens"},
    /* BERT-large, batch 8 x sequence 512 = 4096 tokens, and batch 1 */
    {"bert-large-qkv-t4096", 4096, 3072, 1024, "BERT-large fused Q/K/V projection, 8 x 512 tokens"},
    {"bert-large-attn-out-t4096", 4096, 1024, 1024, "BERT-large attention output, 8 x 512 tokens"},
    {"bert-large-ffn-up-t4096", 4096, 4096, 1024, "BERT-large FFN up projection, 8 x 512 tokens"},
    {"bert-large-ffn-down-t4096", 4096, 1024, 4096, "BERT-large FFN down projection, 8 x 512 tokens"},
    {"bert-large-ffn-up-t512", 512, 4096, 1024, "BERT-large FFN up projection, 1 x 512 tokens"},
    {"bert-large-attn-score-s512", 512, 512, 64, "BERT-large Q*K^T for one head, sequence 512"},
    {"bert-large-attn-ctx-s512", 512, 64, 512, "BERT-large softmax(QK^T)*V for one head, sequence 512"},
    /* GPT-2 small, 1024 tokens */
    {"gpt2-qkv-t1024", 1024, 2304, 768, "GPT-2 small fused Q/K/V projection, 1024 tokens"},
    {"gpt2-mlp-up-t1024", 1024, 3072, 768, "GPT-2 small MLP up projection, 1024 tokens"},
    {"gpt2-mlp-down-t1024", 1024, 768, 3072, "GPT-2 small MLP down projection, 1024 tokens"},
    /* DeepBench training GEMMs (speech recognition RNN and output layers) */
    {"deepbench-1760x7000x1760", 1760, 7000, 1760, "DeepBench training: DeepSpeech RNN layer"},
    {"deepbench-2560x7000x2560", 2560, 7000, 2560, "DeepBench training: DeepSpeech RNN layer"},
    {"deepbench-1760x16x1760", 1760, 16, 1760, "DeepBench training: RNN, small minibatch"},
    {"deepbench-5124x9124x2560", 5124, 9124, 2560, "DeepBench training: speech output layer"},
    {"deepbench-35x8457x2560", 35, 8457, 2560, "DeepBench training: speech output layer"},
};

const struct aib_gemm_shape *aib_gemm_shapes(size_t *n)
{
    *n = sizeof shapes / sizeof shapes[0];
    return shapes;
}

const struct aib_gemm_shape *aib_gemm_shape_find(const char *name)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (strcmp(shapes[i].name, name) == 0)
            return &shapes[i];
    return NULL;
}

int aib_gemm_dims(const char *shape, int64_t n, int64_t m, int64_t k, int64_t *om, int64_t *on, int64_t *ok,
                  struct aib_err *err)
{
    if (!shape[0] || strcmp(shape, "none") == 0) {
        *on = n;
        *om = m ? m : n;
        *ok = k ? k : n;
        return 0;
    }
    const struct aib_gemm_shape *s = aib_gemm_shape_find(shape);
    if (!s) {
        char list[sizeof err->msg];
        aib_gemm_shape_names(list, sizeof list);
        return aib_err_set(err, AIB_EUSAGE, "%s shape '%s'; built-in shapes: %s",
                           strcmp(shape, "list") == 0 ? "no" : "unknown", shape, list);
    }
    *om = s->m;
    *on = s->n;
    *ok = s->k;
    return 0;
}

/* Length of the longest prefix of a and b that ends with a '-'. */
static size_t dash_prefix(const char *a, const char *b)
{
    size_t len = 0;
    for (size_t i = 0; a[i] && a[i] == b[i]; i++)
        if (a[i] == '-')
            len = i + 1;
    return len;
}

int aib_names_grouped(const char *const *names, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    int fits = 1;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < n && fits;) {
        /* the run of names sharing the first name's dash prefix */
        size_t pre = dash_prefix(names[i], i + 1 < n ? names[i + 1] : ""), j = i + 1;
        while (pre && j < n && dash_prefix(names[i], names[j]) >= pre)
            j++;
        int w = snprintf(buf + used, len - used, "%s%.*s%s", used ? " " : "", (int)pre, names[i],
                         j - i > 1 ? "{" : "");
        for (size_t t = i; t < j && w >= 0 && (size_t)w < len - used; t++) {
            used += (size_t)w;
            w = snprintf(buf + used, len - used, "%s%s", t > i ? "," : "", names[t] + (j - i > 1 ? pre : 0));
        }
        if (w >= 0 && (size_t)w < len - used) {
            used += (size_t)w;
            w = snprintf(buf + used, len - used, "%s", j - i > 1 ? "}" : "");
        }
        if (w < 0 || (size_t)w >= len - used)
            fits = 0;
        else
            used += (size_t)w;
        i = j;
    }
    return fits;
}

int aib_gemm_shape_names(char *buf, size_t len)
{
    const char *names[sizeof shapes / sizeof shapes[0]];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        names[i] = shapes[i].name;
    return aib_names_grouped(names, sizeof shapes / sizeof shapes[0], buf, len);
}
