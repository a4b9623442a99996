/* The op table: TFLite builtin code -> kernel. Adding an op adds a line here and a kernel file. */
#include <stddef.h>

#include "kernels.h"

static const pqk_kernel *const kernels[] = {
    &pqk_kernel_add_s8,
    &pqk_kernel_avg_pool_s8,
    &pqk_kernel_conv_s8,
    &pqk_kernel_depthwise_conv_s8,
    &pqk_kernel_fully_connected_s8,
    &pqk_kernel_max_pool_s8,
    &pqk_kernel_reshape,
    &pqk_kernel_softmax_s8,
    &pqk_kernel_mean_s8,
    &pqk_kernel_quantize_s8,
    &pqk_kernel_pad_s8,
    &pqk_kernel_concatenation_s8,
};

static const struct {
    int32_t code;
    const char *name;
} other_names[] = {{PQK_OP_DEQUANTIZE, "DEQUANTIZE"},
                   {14, "LOGISTIC"},
                   {18, "MUL"},
                   {19, "RELU"},
                   {21, "RELU6"},
                   {28, "TANH"},
                   {41, "SUB"},
                   {49, "SPLIT"}};

const pqk_kernel *pqk_find_kernel(int32_t builtin)
{
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i]->builtin == builtin) return kernels[i];
    return NULL;
}

const char *pqk_builtin_name(int32_t builtin)
{
    const pqk_kernel *k = pqk_find_kernel(builtin);
    if (k) return k->name;
    for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++)
        if (other_names[i].code == builtin) return other_names[i].name;
    return "builtin operator";
}
