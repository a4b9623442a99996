/* Elementwise int8 ops through a 256-entry table that Prepare fills with the op's exact integer result for every
 * input value: LOGISTIC and HARD_SWISH. Eval is one lookup per value, the same on every core. */
#include "kernels.h"

pqk_status pqk_table_prepare(pqk_ctx *ctx, pqk_node *node, int8_t **table)
{
    pqk_status s = pqk_int8_io(ctx, node);
    if (s != PQK_OK) return s;
    if (pqk_in(ctx, node, 0)->elems != pqk_out(ctx, node, 0)->elems)
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "input and output sizes differ");
    node->op.lut = pqk_alloc_persistent(ctx, 256);
    if (!node->op.lut) return pqk_fail(ctx, node, PQK_ERR_ARENA, "arena too small for the op's table");
    *table = node->op.lut;
    return PQK_OK;
}

pqk_status pqk_table_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, pqk_in(ctx, node, 0));
    int8_t *y = pqk_tensor_data(ctx, out);
    const int8_t *lut = node->op.lut + 128;
    for (uint32_t i = 0; i < out->elems; i++) y[i] = lut[x[i]];
    return PQK_OK;
}
