/* Prepare-time quantization helpers, mirroring tensorflow/lite/kernels/internal/quantization_util.cc. */
/* Load-time code: it runs once, when the model is read and prepared, never per inference; built for size. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#include "quant.h"

#include <string.h>

double pqk_frexp(double x, int *exponent)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int e = (int)((b >> 52) & 0x7ff);
    *exponent = 0;
    if (e == 0x7ff || x == 0.0) return x; /* infinities, NaNs and zeros come back as they are */
    int adjust = 0;
    if (e == 0) {                 /* subnormal: scale into the normal range first */
        x *= 18014398509481984.0; /* 2^54 */
        memcpy(&b, &x, sizeof b);
        e = (int)((b >> 52) & 0x7ff);
        adjust = 54;
    }
    *exponent = e - 1022 - adjust;
    b = (b & ~(0x7ffull << 52)) | (1022ull << 52); /* mantissa in [0.5, 1), sign kept */
    memcpy(&x, &b, sizeof x);
    return x;
}

static int negative_d(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (int)(b >> 63);
}

static int negative_f(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return (int)(b >> 31);
}

/* Integers and values of 2^52 and beyond are whole already; below, truncation is exact and so is x - t. A zero
 * result keeps x's sign, as libm's does. */
double pqk_round(double x)
{
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
    double t = (double)(int64_t)x;
    const double d = x - t;
    if (d >= 0.5)
        t += 1.0;
    else if (d <= -0.5)
        t -= 1.0;
    return t == 0.0 && negative_d(x) ? -0.0 : t;
}

float pqk_roundf(float x)
{
    if (!(x > -8388608.0f && x < 8388608.0f)) return x;
    float t = (float)(int32_t)x;
    const float d = x - t;
    if (d >= 0.5f)
        t += 1.0f;
    else if (d <= -0.5f)
        t -= 1.0f;
    return t == 0.0f && negative_f(x) ? -0.0f : t;
}

void pqk_quantize_multiplier(double m, int32_t *quantized, int32_t *shift)
{
    if (m == 0.0 || !(m - m == 0.0)) { /* zero, or a NaN / infinite scale of a malformed model: no defined cast */
        *quantized = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    const double q = pqk_frexp(m, &e);
    int64_t q_fixed = (int64_t)pqk_round(q * (double)(1ll << 31));
    if (q_fixed == (1ll << 31)) {
        q_fixed /= 2;
        ++e;
    }
    /* Multipliers below 2^-31 flush to zero, as TFLite does. */
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    /* Saturate multipliers of 2^31 and above, as later TFLite versions do; no valid model comes near. */
    if (e > 30) {
        e = 30;
        q_fixed = INT32_MAX;
    }
    *quantized = (int32_t)q_fixed;
    *shift = e;
}

/* zp + round(f / scale), saturated to int32 so that a malformed scale (tiny, zero, NaN) is not undefined behaviour;
 * a valid model's value is far inside the bounds. */
static int32_t quantize_value(float scale, int32_t zp, float f)
{
    float q = pqk_roundf(f / scale);
    if (!(q >= -4e9f)) q = -4e9f;
    if (q > 4e9f) q = 4e9f;
    const int64_t v = (int64_t)zp + (int64_t)q;
    return v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : (int32_t)v);
}

pqk_status pqk_activation_range(pqk_ctx *ctx, pqk_node *node, int act, const pqk_tensor *out, int32_t *lo, int32_t *hi)
{
    const int32_t qmin = -128, qmax = 127;
    const float s = out->scale;
    const int32_t zp = out->zero_point;
    switch (act) {
    case PQK_ACT_NONE:
        *lo = qmin;
        *hi = qmax;
        return PQK_OK;
    case PQK_ACT_RELU:
        *lo = zp > qmin ? zp : qmin;
        *hi = qmax;
        return PQK_OK;
    case PQK_ACT_RELU6: {
        const int32_t q6 = quantize_value(s, zp, 6.0f);
        *lo = zp > qmin ? zp : qmin;
        *hi = q6 < qmax ? q6 : qmax;
        return PQK_OK;
    }
    case PQK_ACT_RELU_N1_TO_1: {
        const int32_t qn1 = quantize_value(s, zp, -1.0f), q1 = quantize_value(s, zp, 1.0f);
        *lo = qn1 > qmin ? qn1 : qmin;
        *hi = q1 < qmax ? q1 : qmax;
        return PQK_OK;
    }
    default:
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "unsupported fused activation", act);
    }
}

int32_t pqk_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out)
{
    const int32_t eff = (filter - 1) * dilation + 1;
    int32_t total = (out - 1) * stride + eff - in;
    total = total > 0 ? total : 0;
    return total / 2;
}

int32_t pqk_out_size(int padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation)
{
    const int32_t eff = (filter - 1) * dilation + 1;
    if (stride <= 0) return -1;
    if (padding == 0) return (in + stride - 1) / stride;
    return (in - eff + stride) / stride;
}
