/* ADD int8, equal shapes: both inputs rescaled to a common 2^20-scaled base, summed, rescaled to the output. */
#include "kernels.h"

enum { OPT_ACT = 0 };

static pqk_status add_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *a = pqk_in(ctx, node, 0), *b = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_binary_io(ctx, node);
    if (s != PQK_OK) return s;
    if (a->ndims != b->ndims || a->elems != b->elems || a->elems != out->elems)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "broadcasting is not supported; inputs must have equal shapes");
    for (int d = 0; d < a->ndims; d++)
        if (a->dims[d] != b->dims[d]) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "broadcasting is not supported");
    op->left_shift = 20;
    /* Same types and order of operations as TFLite's add.cc Prepare. */
    const double twice_max = (double)(2 * (a->scale > b->scale ? a->scale : b->scale));
    const double real_a = (double)a->scale / twice_max;
    const double real_b = (double)b->scale / twice_max;
    const double real_out = twice_max / (double)((float)(1 << op->left_shift) * out->scale);
    pqk_quantize_multiplier(real_a, &op->mult, &op->shift);
    pqk_quantize_multiplier(real_b, &op->mult2, &op->shift2);
    pqk_quantize_multiplier(real_out, &op->mult3, &op->shift3);
    if (op->shift > 0 || op->shift2 > 0 || op->shift3 > 0)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "scales give a multiplier above one");
    return pqk_activation_range(ctx, node, fb_u8(&ctx->fb, node->options, OPT_ACT, 0), out, &op->act_min, &op->act_max);
}

static pqk_status add_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    const int8_t *a = pqk_tensor_data(ctx, pqk_in(ctx, node, 0));
    const int8_t *b = pqk_tensor_data(ctx, pqk_in(ctx, node, 1));
    int8_t *y = pqk_tensor_data(ctx, out);
    for (uint32_t i = 0; i < out->elems; i++) {
        const int32_t sa = pqk_mbqm((a[i] + op->in_offset) * (1 << op->left_shift), op->mult, op->shift);
        const int32_t sb = pqk_mbqm((b[i] + op->in2_offset) * (1 << op->left_shift), op->mult2, op->shift2);
        const int32_t raw = pqk_add_wrap(pqk_mbqm(sa + sb, op->mult3, op->shift3), op->out_offset);
        y[i] = (int8_t)pqk_clamp(raw, op->act_min, op->act_max);
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_add_s8 = {PQK_OP_ADD, "ADD", add_prepare, add_eval};
