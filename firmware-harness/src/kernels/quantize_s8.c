/* QUANTIZE int8 -> int8 (TFLite's Requantize): (x - zp_in) * (s_in / s_out) + zp_out, saturated. */
#include "kernels.h"

static pqk_status quantize_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s == PQK_OK) s = pqk_same_shape(ctx, node, in, out);
    if (s == PQK_OK) pqk_quantize_multiplier((double)in->scale / (double)out->scale, &op->mult, &op->shift);
    return s;
}

static pqk_status quantize_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, pqk_in(ctx, node, 0));
    int8_t *y = pqk_tensor_data(ctx, out);
    for (uint32_t i = 0; i < out->elems; i++) {
        const int32_t v = pqk_add_wrap(pqk_mbqm(x[i] + op->in_offset, op->mult, op->shift), op->out_offset);
        y[i] = (int8_t)pqk_clamp(v, -128, 127);
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_quantize_s8 = {PQK_OP_QUANTIZE, "QUANTIZE", quantize_prepare, quantize_eval};
