/* HARD_SWISH int8: x * relu6(x + 3) / 6 in the 16-bit fixed point of reference_ops::HardSwish, which TFLite Micro and
 * x86-64 TFLite 2.9 both run: the input on a 2^7-finer scale, a "reluish" factor in [0, 1] from it, their product
 * on the output scale. Every input value is computed once, into the op's table. */
#include "kernels.h"

/* gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + nudge) / 2^15 truncated towards zero. */
static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * b;
    return (int16_t)((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* Its truncating twin (reference_ops::SaturatingDoublingHighMul). */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    return (int16_t)(((int32_t)a * b) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on int16: mask and threshold computed in int16 as the template does. */
static int16_t rdbpot16(int16_t x, int e)
{
    const int16_t mask = (int16_t)((1ll << e) - 1);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> e) + ((int16_t)(x & mask) > threshold ? 1 : 0));
}

static int16_t sat_shl16(int16_t x, int e)
{
    const int64_t v = (int64_t)x * (1ll << e);
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

/* QuantizeMultiplier, then DownScaleInt32ToInt16Multiplier. */
static int16_t multiplier16(float real, int32_t *exponent)
{
    int32_t m;
    pqk_quantize_multiplier((double)real, &m, exponent);
    return m >= INT32_MAX - (1 << 15) ? INT16_MAX : (int16_t)((m + (1 << 15)) >> 16);
}

static pqk_status hard_swish_prepare(pqk_ctx *ctx, pqk_node *node)
{
    int8_t *table;
    pqk_status s = pqk_table_prepare(ctx, node, &table);
    if (s != PQK_OK) return s;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    /* HardSwishPrepare, in float32 as TFLite computes it. */
    const float hires = (1.0f / 128.0f) * in->scale;
    int32_t out_exp, reluish_exp;
    const int16_t out_mult = multiplier16(hires / out->scale, &out_exp);
    const float reluish_real = hires / (3.0f / 32768.0f);
    if (!((double)reluish_real < 2147483648.0))
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "input or output scale out of range for HARD_SWISH");
    const int16_t reluish_mult = multiplier16(reluish_real, &reluish_exp);
    if (out_exp > 0)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "input scale over output scale is too large for HARD_SWISH");
    if (out_exp < -31 || reluish_exp > 31 || reluish_exp < -31)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "input or output scale out of range for HARD_SWISH");
    for (int32_t v = -128; v <= 127; v++) {
        const int16_t hires_value = (int16_t)((v - in->zero_point) * 128);
        const int16_t preshift = srdhm16(hires_value, out_mult);
        int16_t r = hires_value;
        if (reluish_exp > 0) r = sat_shl16(r, reluish_exp - 1);
        r = srdhm16(r, reluish_mult);
        if (reluish_exp > 0) r = sat_shl16(r, 1);
        if (reluish_exp < 0) r = rdbpot16(r, -reluish_exp);
        r = (int16_t)((r + (1 << 15)) >> 1);
        const int16_t y = (int16_t)(rdbpot16(sdhm16(r, preshift), -out_exp) + out->zero_point);
        table[v + 128] = (int8_t)pqk_clamp(y, -128, 127);
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_hard_swish_s8 = {PQK_OP_HARD_SWISH, "HARD_SWISH", hard_swish_prepare, pqk_table_eval};
