/* ADD int8, equal shapes: both inputs rescaled to a common 2^20-scaled base, summed, rescaled to the output. */
#include "kernels.h"
#include "simd.h"

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

/* Optimized: every value here is small, |x + offset| <= 255, so x << 20 (and a sum of two rescaled inputs) doubled
 * still fits in 32 bits, and SaturatingRoundingDoublingHighMul(x, m) is one SMMULR of 2x: both round the exact
 * product half up, for either sign. RoundingDivideByPOT's ties away from zero are the same half-up rounding of
 * v - 1 for a negative v (right shift at least 1). About 25 instructions an element on a DSP core against some 100
 * through the 64-bit reference arithmetic; Helium does four lanes at a time with VQRDMULH and VRSHL. */
static inline int32_t add_rescale(int32_t x, int32_t mult, int32_t right)
{
    if (right == 0) return pqk_smmulr((int32_t)((uint32_t)x << 1), mult);
    return pqk_rescale_short_x2(x, mult, right - 1, 1) >> 1; /* twice the value plus one, halved: the rounding */
}

#if defined(PQK_MVE)
static inline int32x4_t add_rescale_mve(int32x4_t x, int32_t mult, int32x4_t neg_right, int32x4_t fix)
{
    const int32x4_t v = vqrdmulhq_n_s32(x, mult);
    return vrshlq_s32(vaddq_s32(v, vandq_s32(vshrq_n_s32(v, 31), fix)), neg_right);
}
#endif

static void add_optimized(const pqk_op_data *op, const int8_t *a, const int8_t *b, int8_t *y, uint32_t n)
{
    const int32_t ra = -op->shift, rb = -op->shift2, ro = -op->shift3, oa = op->in_offset, ob = op->in2_offset;
    uint32_t i = 0;
#if defined(PQK_MVE)
    const int32x4_t na = vdupq_n_s32(-ra), nb = vdupq_n_s32(-rb), no = vdupq_n_s32(-ro);
    const int32x4_t fa = vdupq_n_s32(ra ? -1 : 0), fb = vdupq_n_s32(rb ? -1 : 0), fo = vdupq_n_s32(ro ? -1 : 0);
    const int32x4_t lo = vdupq_n_s32(op->act_min), hi = vdupq_n_s32(op->act_max);
    for (; i + 4 <= n; i += 4) {
        const int32x4_t xa = vshlq_n_s32(vaddq_n_s32(vldrbq_s32(a + i), oa), 20);
        const int32x4_t xb = vshlq_n_s32(vaddq_n_s32(vldrbq_s32(b + i), ob), 20);
        const int32x4_t sum = vaddq_s32(add_rescale_mve(xa, op->mult, na, fa), add_rescale_mve(xb, op->mult2, nb, fb));
        const int32x4_t raw = vaddq_n_s32(add_rescale_mve(sum, op->mult3, no, fo), op->out_offset);
        vstrbq_s32(y + i, vminq_s32(vmaxq_s32(raw, lo), hi));
    }
#endif
    for (; i < n; i++) {
        const int32_t sa = add_rescale((a[i] + oa) * (1 << 20), op->mult, ra);
        const int32_t sb = add_rescale((b[i] + ob) * (1 << 20), op->mult2, rb);
        y[i] = (int8_t)pqk_clamp(add_rescale(sa + sb, op->mult3, ro) + op->out_offset, op->act_min, op->act_max);
    }
}

static pqk_status add_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    const int8_t *a = pqk_tensor_data(ctx, pqk_in(ctx, node, 0));
    const int8_t *b = pqk_tensor_data(ctx, pqk_in(ctx, node, 1));
    int8_t *y = pqk_tensor_data(ctx, out);
    if (pqk_optimized(ctx)) {
        add_optimized(op, a, b, y, out->elems);
        return PQK_OK;
    }
    for (uint32_t i = 0; i < out->elems; i++) {
        const int32_t sa = pqk_mbqm((a[i] + op->in_offset) * (1 << op->left_shift), op->mult, op->shift);
        const int32_t sb = pqk_mbqm((b[i] + op->in2_offset) * (1 << op->left_shift), op->mult2, op->shift2);
        const int32_t raw = pqk_add_wrap(pqk_mbqm(sa + sb, op->mult3, op->shift3), op->out_offset);
        y[i] = (int8_t)pqk_clamp(raw, op->act_min, op->act_max);
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_add_s8 = {PQK_OP_ADD, "ADD", add_prepare, add_eval};
