/* glibc's expf algorithm (exp(x) = 2^(k/32) * 2^(r/32), a 32-entry table and a cubic in double), restated so that
 * a Cortex-M build without glibc produces the same float for every input: TFLite's SOFTMAX table comes from expf,
 * so its int8 outputs are only bit-exact when this is. */
#include "exp_f32.h"

#include <stdint.h>
#include <string.h>

#define TABLE_BITS 5
#define N          (1 << TABLE_BITS)

/* Bits of 2^(i/32), correctly rounded, minus i << 47 so that adding k << 47 scales by 2^(k/32). */
static const uint64_t table[N] = {
    0x3ff0000000000000ULL, 0x3fefd9b0d3158574ULL, 0x3fefb5586cf9890fULL, 0x3fef9301d0125b51ULL, 0x3fef72b83c7d517bULL,
    0x3fef54873168b9aaULL, 0x3fef387a6e756238ULL, 0x3fef1e9df51fdee1ULL, 0x3fef06fe0a31b715ULL, 0x3feef1a7373aa9cbULL,
    0x3feedea64c123422ULL, 0x3feece086061892dULL, 0x3feebfdad5362a27ULL, 0x3feeb42b569d4f82ULL, 0x3feeab07dd485429ULL,
    0x3feea47eb03a5585ULL, 0x3feea09e667f3bcdULL, 0x3fee9f75e8ec5f74ULL, 0x3feea11473eb0187ULL, 0x3feea589994cce13ULL,
    0x3feeace5422aa0dbULL, 0x3feeb737b0cdc5e5ULL, 0x3feec49182a3f090ULL, 0x3feed503b23e255dULL, 0x3feee89f995ad3adULL,
    0x3feeff76f2fb5e47ULL, 0x3fef199bdd85529cULL, 0x3fef3720dcef9069ULL, 0x3fef5818dcfba487ULL, 0x3fef7c97337b9b5fULL,
    0x3fefa4afa2a490daULL, 0x3fefd0765b6e4540ULL,
};

static uint32_t as_u32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static double as_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static uint64_t as_u64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

float pqk_expf(float x)
{
    const double inv_ln2_n = 0x1.71547652b82fep+0 * N;
    const double shift = 0x1.8p+52;
    const double inv_ln2_hi = 0x1.715476p+5, inv_ln2_lo = inv_ln2_n - 0x1.715476p+5;
    const double c0 = 0x1.c6af84b912394p-5 / N / N / N;
    const double c1 = 0x1.ebfce50fac4f3p-3 / N / N;
    const double c2 = 0x1.62e42ff0c52d6p-1 / N;
    const uint32_t abstop = (as_u32(x) >> 20) & 0x7ff;
    if (abstop >= (as_u32(88.0f) >> 20)) {
        if (as_u32(x) == 0xff800000u) return 0.0f;                 /* -inf */
        if (abstop >= 0x7f8) return x + x;                         /* inf or nan */
        if (x > 0x1.62e42ep6f) return (float)(0x1p97 * 0x1p97);    /* overflow */
        if (x < -0x1.9fe368p6f) return (float)(0x1p-95 * 0x1p-95); /* underflow to zero */
    }
    const double xd = (double)x;
    double z = inv_ln2_n * xd;
    /* Round z to an integer k (ties to even) with the shift trick; r = z - k in [-1/2, 1/2]. */
    double kd = z + shift;
    const uint64_t ki = as_u64(kd);
    kd -= shift;
    /* r = fma(inv_ln2_n, xd, -kd), as the FMA build of glibc that x86-64 CPUs run computes it: the product is
     * split so both halves are exact (26 + 24 and 27 + 24 bits), p_hi - kd is exact (Sterbenz), one rounding. */
    const double p_hi = inv_ln2_hi * xd, p_lo = inv_ln2_lo * xd;
    const double r = (p_hi - kd) + p_lo;
    uint64_t t = table[ki % N];
    t += ki << (52 - TABLE_BITS);
    const double s = as_double(t);
    z = c0 * r + c1;
    const double r2 = r * r;
    double y = c2 * r + 1;
    y = z * r2 + y;
    y = y * s;
    return (float)y;
}

int pqk_expf_sweep_at(uint32_t i, uint32_t stride, float *x)
{
    const uint32_t pos_end = 0x42d00000u, neg_start = 0x80000000u, neg_end = 0xc2dc0000u;
    const uint64_t n_pos = pos_end / stride + 1;
    const uint64_t bits = i < n_pos ? (uint64_t)i * stride : neg_start + (uint64_t)(i - n_pos) * stride;
    if (i >= n_pos && bits > neg_end) return 0;
    const uint32_t b = (uint32_t)bits;
    memcpy(x, &b, 4);
    return 1;
}
