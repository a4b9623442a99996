/* MUL int8: (q1 - z1) * (q2 - z2) rescaled by s1 * s2 / s_out (MultiplyByQuantizedMultiplier), onto the output
 * zero point, clamped by the fused activation; NumPy broadcasting of either input over up to 4 dimensions
 * (reference_integer_ops::BroadcastMul4DSlow, e.g. a [1, 1, 1, C] gate over a map). */
#include "kernels.h"

enum { OPT_ACT = 0 };

static pqk_status mul_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *a = pqk_in(ctx, node, 0), *b = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_binary_io(ctx, node);
    if (s != PQK_OK) return s;
    if (out->ndims > 4 || a->ndims > out->ndims || b->ndims > out->ndims)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "MUL broadcasts up to 4 dimensions");
    for (int i = 1; i <= out->ndims; i++) {
        const int32_t o = out->dims[out->ndims - i];
        const int32_t da = i <= a->ndims ? a->dims[a->ndims - i] : 1, db = i <= b->ndims ? b->dims[b->ndims - i] : 1;
        if ((da != o && da != 1) || (db != o && db != 1))
            return pqk_fail(ctx, node, PQK_ERR_MODEL, "input shapes do not broadcast to the output");
    }
    /* s1 * s2 / s_out: in float32 as TFLite 2.9's mul.cc, in double as TFLite Micro's mul_common.cc. */
    const double real = ctx->x86_rounding ? (double)((a->scale * b->scale) / out->scale)
                                          : (double)a->scale * (double)b->scale / (double)out->scale;
    if (!(real < 1073741824.0)) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "s1 * s2 / s_out is too large for MUL");
    pqk_quantize_multiplier(real, &op->mult, &op->shift);
    return pqk_activation_range(ctx, node, fb_u8(&ctx->fb, node->options, OPT_ACT, 0), out, &op->act_min, &op->act_max);
}

/* Steps of a tensor over the output's 4 dimensions (right-aligned), 0 where it repeats. */
static void steps4(const pqk_tensor *t, int32_t steps[4])
{
    int32_t stride = 1;
    for (int i = 1; i <= 4; i++) {
        const int32_t d = i <= t->ndims ? t->dims[t->ndims - i] : 1;
        steps[4 - i] = d == 1 ? 0 : stride;
        stride *= d;
    }
}

static pqk_status mul_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *ta = pqk_in(ctx, node, 0), *tb = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    const int8_t *a = pqk_tensor_data(ctx, ta);
    const int8_t *b = pqk_tensor_data(ctx, tb);
    int8_t *y = pqk_tensor_data(ctx, out);
    int32_t dims[4], sa[4], sb[4];
    for (int i = 1; i <= 4; i++) dims[4 - i] = i <= out->ndims ? out->dims[out->ndims - i] : 1;
    steps4(ta, sa);
    steps4(tb, sb);
    for (int32_t i0 = 0; i0 < dims[0]; i0++)
        for (int32_t i1 = 0; i1 < dims[1]; i1++)
            for (int32_t i2 = 0; i2 < dims[2]; i2++) {
                const int8_t *pa = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                const int8_t *pb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                for (int32_t i3 = 0; i3 < dims[3]; i3++) {
                    const int32_t prod = (pa[i3 * sa[3]] + op->in_offset) * (pb[i3 * sb[3]] + op->in2_offset);
                    *y++ = (int8_t)pqk_clamp(pqk_add_wrap(pqk_mbqm(prod, op->mult, op->shift), op->out_offset),
                                             op->act_min, op->act_max);
                }
            }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_mul_s8 = {PQK_OP_MUL, "MUL", mul_prepare, mul_eval};
