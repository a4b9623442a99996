/* CONCATENATION int8 along one axis, ranks 1 to 4: every input shares the output's scale and zero point (TFLite's
 * and TFLite Micro's int8 restriction) and no activation is fused, so Eval copies each input's chunk per outer
 * index. pqk micro takes up to PQK_MAX_IO inputs. */
#include <string.h>

#include "kernels.h"

enum { OPT_AXIS = 0, OPT_ACTIVATION = 1 };

static pqk_status concat_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_expect(ctx, node, out, PQK_INT8, "output");
    if (s != PQK_OK) return s;
    if (fb_u8(&ctx->fb, node->options, OPT_ACTIVATION, 0) != 0)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "int8 CONCATENATION takes no fused activation");
    if (out->ndims < 1 || out->ndims > 4)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "rank must be 1..4, got", out->ndims);
    int32_t axis = fb_i32(&ctx->fb, node->options, OPT_AXIS, 0);
    if (axis < 0) axis += out->ndims;
    if (axis < 0 || axis >= out->ndims) return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "axis out of range:", axis);
    int64_t total = 0; /* 64 bits: up to four dims from the file, each up to INT32_MAX */
    for (int i = 0; i < node->ninputs; i++) {
        const pqk_tensor *in = pqk_in(ctx, node, i);
        s = pqk_expect(ctx, node, in, PQK_INT8, "input");
        if (s != PQK_OK) return s;
        if (in->scale != out->scale || in->zero_point != out->zero_point)
            return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "int8 CONCATENATION does not rescale: input", i);
        if (in->ndims != out->ndims)
            return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "rank differs from the output's: input", i);
        for (int d = 0; d < out->ndims; d++)
            if (d != axis && in->dims[d] != out->dims[d])
                return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "shape differs from the output's outside the axis: input",
                                    i);
        total += in->dims[axis];
    }
    if (total != out->dims[axis])
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "the inputs do not add up to the output along the axis");
    op->variant = axis;
    return PQK_OK;
}

/* Values per outer index of tensor t: its dimensions from the axis on. */
static uint32_t chunk(const pqk_tensor *t, int axis)
{
    uint32_t n = 1;
    for (int d = axis; d < t->ndims; d++) n *= (uint32_t)t->dims[d];
    return n;
}

static pqk_status concat_eval(pqk_ctx *ctx, pqk_node *node)
{
    const int axis = node->op.variant;
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    int8_t *y = pqk_tensor_data(ctx, out);
    uint32_t outer = 1;
    for (int d = 0; d < axis; d++) outer *= (uint32_t)out->dims[d];
    for (uint32_t k = 0; k < outer; k++) {
        for (int i = 0; i < node->ninputs; i++) {
            const pqk_tensor *in = pqk_in(ctx, node, i);
            const uint32_t c = chunk(in, axis);
            memcpy(y, (const int8_t *)pqk_tensor_data(ctx, in) + k * c, c);
            y += c;
        }
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_concatenation_s8 = {PQK_OP_CONCATENATION, "CONCATENATION", concat_prepare, concat_eval};
