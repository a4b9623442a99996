/* TFLite's fixed-point requantization: QuantizeMultiplier in Prepare, MultiplyByQuantizedMultiplier in Eval. */
#ifndef PQK_QUANT_H
#define PQK_QUANT_H

#include <stdint.h>

#include "micro.h"

/* TFLite ActivationFunctionType values. */
enum { PQK_ACT_NONE = 0, PQK_ACT_RELU = 1, PQK_ACT_RELU_N1_TO_1 = 2, PQK_ACT_RELU6 = 3 };

void pqk_quantize_multiplier(double m, int32_t *quantized, int32_t *shift);

/* libm's frexp, round (ties away from zero) and roundf, restated so that the runtime needs no libm; equal to
 * glibc's on every input host/unit_main.c tries (all floats for roundf). */
double pqk_frexp(double x, int *exponent);
double pqk_round(double x);
float pqk_roundf(float x);
static inline float pqk_fabsf(float x)
{
    return x < 0.0f ? -x : x;
} /* comparisons only: -0 stays -0 */

/* gemmlowp's SaturatingRoundingDoublingHighMul. Its nudge-and-truncate rounding equals floor((a*b + 2^30) / 2^31)
 * for every product, which an arithmetic shift computes in a few instructions (SMULL, ADDS/ADC, shift). */
static inline int32_t pqk_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    return (int32_t)(((int64_t)a * (int64_t)b + (1ll << 30)) >> 31);
}

static inline int32_t pqk_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)((1ll << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t pqk_mbqm(int32_t x, int32_t mult, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    return pqk_rounding_divide_by_pot(pqk_srdhm((int32_t)((uint32_t)x << left), mult), right);
}

/* The rescale of TFLite 2.9's CONV_2D and FULLY_CONNECTED, which run through ruy's GEMM kernels: the same
 * doubling high multiply, then a right shift rounding ties upwards instead of away from zero. */
static inline int32_t pqk_mbqm_gemm(int32_t x, int32_t mult, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t v = pqk_srdhm((int32_t)((uint32_t)x << left), mult);
    if (right == 0) return v;
    return (v >> right) + ((v >> (right - 1)) & 1); /* (v + 2^(right-1)) >> right without overflow */
}

/* int32 addition that wraps as the hardware does (an extreme bias must not be undefined behaviour). */
static inline int32_t pqk_add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Largest dot-product length whose int32 accumulator cannot overflow: 255 * 128 per term. */
#define PQK_MAX_DOT_LENGTH 65535

static inline int32_t pqk_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* CalculateActivationRangeQuantized for an int8 output. */
pqk_status pqk_activation_range(pqk_ctx *ctx, pqk_node *node, int act, const pqk_tensor *out, int32_t *lo, int32_t *hi);
/* TFLite's ComputePaddingHeightWidth for one dimension (the leading pad; the odd extra goes after). */
int32_t pqk_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out);
/* Output size TFLite computes for SAME (padding 0) or VALID (padding 1). */
int32_t pqk_out_size(int padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation);
/* Filter taps k in [lo, hi) whose input coordinate start + k * dil lies in [0, size): the window clipped once
 * per output pixel instead of a test per tap. */
static inline void pqk_tap_range(int32_t start, int32_t dil, int32_t size, int32_t k, int32_t *lo, int32_t *hi)
{
    int32_t l = start < 0 ? (-start + dil - 1) / dil : 0;
    int32_t h = size - start <= 0 ? 0 : (size - start + dil - 1) / dil;
    h = h < k ? h : k;
    *lo = l < h ? l : h;
    *hi = h;
}

/* Reads one int8 or packed-int4 weight (low nibble first, as TFLite packs). */
static inline int32_t pqk_weight(const int8_t *w, int is_int4, uint32_t i)
{
    if (!is_int4) return w[i];
    const uint32_t byte = (uint8_t)w[i >> 1];
    const uint32_t nibble = (i & 1) ? byte >> 4 : byte & 15;
    return (int32_t)(nibble ^ 8) - 8; /* sign-extends 4 bits */
}

#endif
