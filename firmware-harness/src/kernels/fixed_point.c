/* gemmlowp's fixed point on int32 (FixedPoint<int32_t, I>: the raw value with 31 - I fractional bits), as TFLite
 * Micro's reference SOFTMAX and LOGISTIC use it: exp of a non-positive value and 1 / (1 + x). */
#include "kernels.h"

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

int32_t pqk_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4, applied for each bit of the remainder above a quarter. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fractional_bits = 31 - integer_bits;
    const int32_t quarter = 1 << (fractional_bits - 2);
    const int32_t a_mod = wrap_sub(a & (quarter - 1), quarter);
    int32_t result = exp_quarter(sat_shl(a_mod, integer_bits));
    const int32_t remainder = wrap_sub(a_mod, a);
    for (int k = 0; k < 7 && k - 2 < integer_bits; k++)
        if (remainder & (int32_t)(1u << (fractional_bits + k - 2))) result = pqk_srdhm(result, barrel[k]);
    return a == 0 ? INT32_MAX : result;
}

int32_t pqk_one_over_one_plus_x(int32_t a)
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
