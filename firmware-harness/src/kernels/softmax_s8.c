/* SOFTMAX int8 -> int8. TFLite Micro's reference (reference_ops::Softmax, which CMSIS-NN's arm_softmax_s8 equals):
 * input differences to the row maximum scaled into Q5.26, gemmlowp's fixed-point exp, a Q12.19 sum and its
 * Newton-Raphson reciprocal, then a rounding shift onto zero point -128. With x86-64 rounding, as x86-64 TFLite 2.9's
 * built-in kernel: a 256-entry float table of expf(-s*beta*d) made in Prepare, then per row a float sum, a float
 * reciprocal, and round-half-away quantization of each probability. */

#include "../exp_f32.h"
#include "kernels.h"

enum { OPT_BETA = 0 };

static pqk_status softmax_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s == PQK_OK) s = pqk_same_shape(ctx, node, in, out);
    if (s != PQK_OK) return s;
    if (in->ndims < 1) return pqk_fail(ctx, node, PQK_ERR_MODEL, "input must have a last dimension");
    if (out->zero_point != -128 || pqk_fabsf(out->scale - 1.0f / 256) > 0.001f * (1.0f / 256))
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "int8 output must have scale 1/256 and zero point -128");
    const float beta = fb_f32(&ctx->fb, node->options, OPT_BETA, 0.0f);
    op->depth_mult = in->dims[in->ndims - 1];
    if (!ctx->x86_rounding) {
        /* PreprocessSoftmaxScaling and CalculateInputRadius with 5 integer bits of scaled difference. */
        double real = (double)beta * (double)in->scale * (double)(1 << 26);
        if (real > 2147483647.0) real = 2147483647.0;
        pqk_quantize_multiplier(real, &op->mult, &op->left_shift);
        if (op->mult == 0 || op->left_shift < 0)
            return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "beta * input scale too small for the fixed-point softmax");
        op->diff_min = -(int32_t)((31u << 26) >> op->left_shift);
        op->variant = 1;
        return PQK_OK;
    }
    op->table = pqk_alloc_persistent(ctx, 256 * sizeof(float));
    if (!op->table) return pqk_fail(ctx, node, PQK_ERR_ARENA, "arena too small for the exp table");
    const float scale = -in->scale * beta;
    for (int32_t v = 0; v <= 255; v++) op->table[255 - v] = pqk_expf(scale * (float)v);
    op->fscale = out->scale;
    return PQK_OK;
}

static int32_t scaled_exp(const pqk_op_data *op, int32_t diff)
{
    return pqk_exp_on_negative_values(pqk_srdhm((int32_t)((uint32_t)diff << op->left_shift), op->mult), 5);
}

static void softmax_fixed_point(const pqk_op_data *op, const int8_t *x, int8_t *y, int32_t depth)
{
    int32_t max_val = -128;
    for (int32_t j = 0; j < depth; j++) max_val = x[j] > max_val ? x[j] : max_val;
    int32_t sum = 0; /* Q12.19 */
    for (int32_t j = 0; j < depth; j++) {
        const int32_t diff = x[j] - max_val;
        if (diff >= op->diff_min) sum = pqk_add_wrap(sum, pqk_rounding_divide_by_pot(scaled_exp(op, diff), 12));
    }
    /* GetReciprocal: sum > 0 (the maximum contributes exp(0)). */
    const int headroom = __builtin_clz((uint32_t)sum);
    const int32_t scale = pqk_one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
    const int32_t exponent = 12 - headroom + 31 - 8;
    for (int32_t j = 0; j < depth; j++) {
        const int32_t diff = x[j] - max_val;
        if (diff < op->diff_min) {
            y[j] = -128;
            continue;
        }
        const int32_t q = pqk_rounding_divide_by_pot(pqk_srdhm(scale, scaled_exp(op, diff)), exponent) - 128;
        y[j] = (int8_t)pqk_clamp(q, -128, 127);
    }
}

/* std::round on float: half away from zero; the range check keeps the int conversion defined. */
static int32_t round_to_int(float f)
{
    const float r = pqk_roundf(f);
    if (r >= 2147483520.0f) return INT32_MAX;
    if (!(r > -2147483648.0f)) return INT32_MIN; /* also NaN */
    return (int32_t)r;
}

static pqk_status softmax_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, pqk_in(ctx, node, 0));
    int8_t *y = pqk_tensor_data(ctx, out);
    const int32_t depth = op->depth_mult;
    for (uint32_t row = 0; row < out->elems / (uint32_t)depth; row++, x += depth, y += depth) {
        if (op->variant == 1) {
            softmax_fixed_point(op, x, y, depth);
            continue;
        }
        int32_t max_val = -128;
        for (int32_t j = 0; j < depth; j++) max_val = x[j] > max_val ? x[j] : max_val;
        const float *table = &op->table[255 - max_val];
        float sum = 0.0f;
        for (int32_t j = 0; j < depth; j++) sum += table[x[j]];
        const float inv = 1.0f / (sum * op->fscale);
        for (int32_t j = 0; j < depth; j++) {
            const int32_t q = pqk_add_wrap(round_to_int(table[x[j]] * inv), op->out_offset);
            y[j] = (int8_t)pqk_clamp(q, -128, 127);
        }
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_softmax_s8 = {PQK_OP_SOFTMAX, "SOFTMAX", softmax_prepare, softmax_eval};
