/* MEAN int8 over constant axes, with the three paths TFLite 2.9's reduce.cc takes for int8:
 *  - keep_dims, 4-D, axes {1,2}: reference_integer_ops::Mean (sum of x - zp_in, fixed-point rescale by
 *    s_in / s_out, division by the count rounding half away from zero, + zp_out, saturate);
 *  - same scale and zero point: integer sum / count, truncating;
 *  - otherwise QuantizedMeanOrSum in float (pqk_roundf(mean * scale - zp_in * scale) + zp_out, saturate). */

#include "kernels.h"

enum { OPT_KEEP_DIMS = 0 };
enum { MEAN_4D_HW = 0, MEAN_SAME_SCALE = 1, MEAN_RESCALE = 2 };

static pqk_status mean_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *in = pqk_in(ctx, node, 0), *axes = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s == PQK_OK) s = pqk_expect(ctx, node, axes, PQK_INT32, "axes");
    if (s != PQK_OK) return s;
    if (!axes->data) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "axes must be constant");
    const int32_t *ax = (const int32_t *)axes->data;
    op->axes_mask = 0;
    for (uint32_t i = 0; i < axes->elems; i++) {
        const int32_t a = ax[i] < 0 ? ax[i] + in->ndims : ax[i];
        if (a < 0 || a >= in->ndims) return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "axis out of range:", ax[i]);
        op->axes_mask |= 1 << a;
    }
    uint32_t kept = 1, reduced = 1;
    for (int d = 0; d < in->ndims; d++) {
        if (op->axes_mask & (1 << d))
            reduced *= (uint32_t)in->dims[d];
        else
            kept *= (uint32_t)in->dims[d];
    }
    if (reduced > (1u << 22))
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "too many elements per mean:", (int32_t)reduced);
    if (kept != out->elems) return pqk_fail(ctx, node, PQK_ERR_MODEL, "output size does not match the reduced shape");
    const int keep_dims = fb_u8(&ctx->fb, node->options, OPT_KEEP_DIMS, 0) != 0;
    const int hw = axes->elems == 2 && in->ndims == 4 && op->axes_mask == 6;
    const int same = in->zero_point == out->zero_point && in->scale == out->scale;
    op->variant = (keep_dims && hw) ? MEAN_4D_HW : (same ? MEAN_SAME_SCALE : MEAN_RESCALE);
    op->fscale = in->scale / out->scale;
    op->fbias = (float)(-in->zero_point) * op->fscale;
    pqk_quantize_multiplier((double)in->scale / (double)out->scale, &op->mult, &op->shift);
    op->filter_h = (int32_t)reduced;
    node->scratch_bytes = 4 * out->elems;
    return PQK_OK;
}

/* Integer sums of the reduced elements, one per output, in the node's scratch. */
static void reduce_sums(const pqk_tensor *in, int32_t mask, const int8_t *x, int32_t *sums, uint32_t n_out)
{
    int32_t idx[PQK_MAX_DIMS] = {0};
    for (uint32_t o = 0; o < n_out; o++) sums[o] = 0;
    for (uint32_t i = 0; i < in->elems; i++) {
        uint32_t o = 0;
        for (int d = 0; d < in->ndims; d++)
            if (!(mask & (1 << d))) o = o * (uint32_t)in->dims[d] + (uint32_t)idx[d];
        sums[o] += x[i];
        for (int d = in->ndims - 1; d >= 0; d--) {
            if (++idx[d] < in->dims[d]) break;
            idx[d] = 0;
        }
    }
}

static pqk_status mean_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    int32_t *sums = (int32_t *)(void *)(ctx->arena + node->scratch_offset);
    int8_t *y = pqk_tensor_data(ctx, out);
    reduce_sums(in, op->axes_mask, pqk_tensor_data(ctx, in), sums, out->elems);
    const int32_t count = op->filter_h;
    for (uint32_t o = 0; o < out->elems; o++) {
        const float mean = (float)sums[o] / (float)count;
        if (op->variant == MEAN_SAME_SCALE) {
            y[o] = (int8_t)(sums[o] / count);
        } else if (op->variant == MEAN_4D_HW) {
            const int64_t a = pqk_mbqm(sums[o] + op->in_offset * count, op->mult, op->shift); /* offset = -zp_in */
            const int64_t v = (a > 0 ? (a + count / 2) / count : (a - count / 2) / count) + op->out_offset;
            y[o] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
        } else {
            float r = pqk_roundf(mean * op->fscale + op->fbias) + (float)op->out_offset;
            r = r < 127.0f ? r : 127.0f;
            r = r > -128.0f ? r : -128.0f;
            y[o] = (int8_t)r;
        }
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_mean_s8 = {PQK_OP_MEAN, "MEAN", mean_prepare, mean_eval};
