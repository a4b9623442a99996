/* LOGISTIC int8 onto scale 1/256, zero point -128. TFLite Micro's reference (reference_integer_ops::Logistic): the
 * input minus its zero point scaled into Q4.27, gemmlowp's logistic, shifted to 8 fractional bits. With x86-64
 * rounding, as TFLite 2.9's built-in kernel: float32 dequantize, 1 / (1 + expf(-x)), round half away. Either way
 * every input value is computed once, into the op's table. */
#include "../exp_f32.h"
#include "kernels.h"

static int32_t logistic_fixed_point(int32_t v, int32_t mult, int32_t left_shift, int32_t radius)
{
    if (v <= -radius) return -128;
    if (v >= radius) return 127;
    const int32_t x = pqk_mbqm(v, mult, left_shift); /* Q4.27 */
    int32_t y = 1 << 30;                             /* exactly 1/2 at 0 */
    if (x != 0) {
        const int32_t positive = pqk_one_over_one_plus_x(pqk_exp_on_negative_values(x > 0 ? -x : x, 4));
        y = x > 0 ? positive : INT32_MAX - positive;
    }
    return pqk_clamp(pqk_rounding_divide_by_pot(y, 23) - 128, -128, 127);
}

static pqk_status logistic_prepare(pqk_ctx *ctx, pqk_node *node)
{
    int8_t *table;
    pqk_status s = pqk_table_prepare(ctx, node, &table);
    if (s != PQK_OK) return s;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    if (out->zero_point != -128 || out->scale != 1.0f / 256)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "int8 output must have scale 1/256 and zero point -128");
    if (!ctx->x86_rounding) {
        /* logistic_common.cc: s_in * 2^27 as a multiplier from frexp, and the radius beyond which Q4.27 saturates. */
        int left_shift;
        const double q = pqk_frexp((double)in->scale * (double)(1 << 27), &left_shift);
        if (left_shift > 31 || left_shift < -31)
            return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "input scale out of range for the fixed-point LOGISTIC");
        const int32_t mult = (int32_t)pqk_round(q * 2147483648.0);
        const double pot = left_shift >= 0 ? (double)(1ll << left_shift) : 1.0 / (double)(1ll << -left_shift);
        const double max_rescaled = 15.0 * (double)(1 << 27) / pot;
        const double r = max_rescaled < 2147483647.0 ? max_rescaled : 2147483647.0;
        const int32_t radius = (int32_t)r; /* floor of a positive value */
        for (int32_t v = -128; v <= 127; v++)
            table[v + 128] = (int8_t)logistic_fixed_point(v - in->zero_point, mult, left_shift, radius);
        return PQK_OK;
    }
    const float inverse = 1.0f / out->scale;
    for (int32_t v = -128; v <= 127; v++) {
        const float x = in->scale * (float)(v - in->zero_point);
        const float y = 1.0f / (1.0f + pqk_expf(-x));
        table[v + 128] = (int8_t)pqk_clamp((int32_t)pqk_roundf(y * inverse) - 128, -128, 127);
    }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_logistic_s8 = {PQK_OP_LOGISTIC, "LOGISTIC", logistic_prepare, pqk_table_eval};
