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

/* ---- gemmlowp fixed point on int32 (FixedPoint<int32_t, I>: raw value, 31 - I fractional bits) ---- */

static int32_t wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* SaturatingRoundingMultiplyByPOT with a positive exponent: a saturating left shift. */
static int32_t sat_shl(int32_t x, int e)
{
    const int32_t threshold = (int32_t)((1u << (31 - e)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), Q0.31: Taylor expansion around -1/8. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668, one_over_3 = 715827883;
    const int32_t x = pqk_add_wrap(a, 1 << 28);
    const int32_t x2 = pqk_srdhm(x, x), x3 = pqk_srdhm(x2, x), x4 = pqk_srdhm(x2, x2);
    const int32_t x4_over_4 = pqk_rounding_divide_by_pot(x4, 2);
    const int32_t poly =
        pqk_rounding_divide_by_pot(pqk_add_wrap(pqk_srdhm(pqk_add_wrap(x4_over_4, x3), one_over_3), x2), 1);
    return pqk_add_wrap(constant_term, pqk_srdhm(constant_term, pqk_add_wrap(x, poly)));
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31. */
static int32_t exp_negative_q5(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t a_mod = wrap_sub(a & (quarter - 1), quarter);
    int32_t result = exp_quarter(sat_shl(a_mod, 5));
    const int32_t remainder = wrap_sub(a_mod, a);
    for (int k = 0; k < 7; k++) /* exp(-2^(k-2)) for each bit 24 + k of the remainder */
        if (remainder & (int32_t)(1u << (24 + k))) result = pqk_srdhm(result, barrel[k]);
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31: Newton-Raphson. */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = pqk_add_wrap(1515870810, pqk_srdhm(half_denominator, -1010580540)); /* 48/17 - 32/17 d, Q2.29 */
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = wrap_sub(1 << 29, pqk_srdhm(half_denominator, x));
        x = pqk_add_wrap(x, sat_shl(pqk_srdhm(x, one_minus), 2));
    }
    return sat_shl(x, 1);
}

static int32_t scaled_exp(const pqk_op_data *op, int32_t diff)
{
    return exp_negative_q5(pqk_srdhm((int32_t)((uint32_t)diff << op->left_shift), op->mult));
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
    const int32_t scale = one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
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
