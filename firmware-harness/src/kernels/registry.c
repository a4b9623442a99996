/* The op table: TFLite builtin code -> kernel, from the list ops_generated.h holds (scripts/gen-micro-ops.ts writes
 * it from the op descriptors' `micro` fields). A model's bundle defines PQK_KERNELS_USED and lists the kernels its ops
 * need in pqk_kernels_used.h: then only those are tabulated, and the linker drops the others' code. */
#include <stddef.h>

#include "kernels.h"

#ifdef PQK_KERNELS_USED
#include "pqk_kernels_used.h"
#define PQK_TABLE_KERNELS PQK_KERNEL_LIST
#else
#define PQK_TABLE_KERNELS PQK_MICRO_KERNELS
#endif

#define PQK_KERNEL_ENTRY(k) &k,
static const pqk_kernel *const kernels[] = {PQK_TABLE_KERNELS(PQK_KERNEL_ENTRY)};
#undef PQK_KERNEL_ENTRY

static const struct {
    int32_t code;
    const char *name;
} other_names[] = {
    {PQK_OP_DEQUANTIZE, "DEQUANTIZE"}, {19, "RELU"}, {21, "RELU6"}, {28, "TANH"}, {41, "SUB"}, {49, "SPLIT"}};

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
