/* C-level checks that need the host C library: pqk_expf against glibc expf over float bit patterns (every
 * STRIDE-th pattern, or all with --all), and the fixed-point helpers on known values. `--sweep OUT STRIDE` writes
 * libm's expf over firmware/expf_main.c's sweep instead.
 * Prints one line per check and exits non-zero on the first mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/exp_f32.h"
#include "../src/kernels/kernels.h"
#include "../src/quant.h"

/* Writes libm's expf over the same sweep firmware/expf_main.c makes, for comparison with a Cortex-M build. */
static int write_sweep(const char *path, uint32_t stride)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    float x;
    for (uint32_t i = 0; pqk_expf_sweep_at(i, stride, &x); i++) {
        const float y = expf(x);
        fwrite(&y, 4, 1, f);
    }
    return fclose(f) != 0;
}

static int check_expf(uint32_t stride)
{
    uint64_t checked = 0;
    float x;
    for (uint32_t i = 0; pqk_expf_sweep_at(i, stride, &x); i++, checked++) {
        const float a = pqk_expf(x), b = expf(x);
        if (memcmp(&a, &b, 4) != 0) {
            printf("expf mismatch at %a: pqk %a, libm %a\n", (double)x, (double)a, (double)b);
            return 1;
        }
    }
    printf("expf: %llu inputs equal to libm\n", (unsigned long long)checked);
    return 0;
}

static int check_fixed_point(void)
{
    int32_t m, s;
    pqk_quantize_multiplier(0.5, &m, &s);
    if (m != (1 << 30) || s != 0) return printf("QuantizeMultiplier(0.5) = %d, %d\n", m, s), 1;
    pqk_quantize_multiplier(0.003, &m, &s);
    /* 0.003 = 0.768 * 2^-8; round(0.768 * 2^31) = 1649267442 */
    if (m != 1649267442 || s != -8) return printf("QuantizeMultiplier(0.003) = %d, %d\n", m, s), 1;
    /* 1000 * 0.003 = 3 exactly after rounding; -1000 rounds away from zero to -3. */
    if (pqk_mbqm(1000, m, s) != 3 || pqk_mbqm(-1000, m, s) != -3) return printf("mbqm(+-1000)\n"), 1;
    /* 500 * 0.003 = 1.5 rounds half away from zero. */
    if (pqk_mbqm(500, m, s) != 2 || pqk_mbqm(-500, m, s) != -2) return printf("mbqm(+-500)\n"), 1;
    if (pqk_srdhm(INT32_MIN, INT32_MIN) != INT32_MAX) return printf("srdhm saturation\n"), 1;
    /* The shift form of SaturatingRoundingDoublingHighMul against gemmlowp's nudge-and-truncate form, and the
     * overflow-free tie-upward shift against its 64-bit definition, on pseudo-random operands. */
    uint64_t state = 88172645463325252ull;
    for (int i = 0; i < 2000000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        const int32_t a = (int32_t)(uint32_t)state, b = (int32_t)(uint32_t)(state >> 32);
        const int64_t ab = (int64_t)a * b;
        const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
        const int32_t gemmlowp = (a == INT32_MIN && b == INT32_MIN) ? INT32_MAX : (int32_t)((ab + nudge) / (1ll << 31));
        if (pqk_srdhm(a, b) != gemmlowp) return printf("srdhm(%d, %d)\n", a, b), 1;
        const int32_t shift = -(int32_t)(state % 32);
        const int32_t v = pqk_srdhm(a, b);
        const int32_t ties_up = shift == 0 ? v : (int32_t)(((int64_t)v + (1ll << (-shift - 1))) >> -shift);
        if (pqk_mbqm_gemm(a, b, shift) != ties_up) return printf("mbqm_gemm(%d, %d, %d)\n", a, b, shift), 1;
    }
    /* The short rescale of the optimized kernels (kernels.h, pqk_rescale_short_x2 then >> 1, plus the output
     * offset) against MultiplyByQuantizedMultiplier on accumulators below 2^30, every right shift 1..31 and
     * multipliers in [2^30, 2^31) as QuantizeMultiplier gives them, and exact ties of both signs. */
    for (int i = 0; i < 2000000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        const int32_t right = 1 + (int32_t)(state % 31), offset = (int32_t)((state >> 8) % 256) - 128;
        const int32_t mult = (int32_t)((1u << 30) | ((uint32_t)(state >> 16) & 0x3fffffffu));
        int32_t acc = (int32_t)((uint32_t)(state >> 32) & 0x7fffffffu) - (1 << 30);
        if (i % 4 == 0) { /* a power-of-two multiplier and an exact tie, either sign */
            const int32_t tie = (int32_t)((state >> 40) % (uint64_t)(1u << (30 - right))) << right | 1 << (right - 1);
            acc = i % 8 == 0 ? -tie : tie;
        }
        const int32_t m = i % 4 == 0 ? 1 << 30 : mult, shift = i % 4 == 0 ? -(right - 1) : -right;
        if (i % 4 == 0 && (right == 1 || right == 31)) continue;
        const int32_t want = pqk_mbqm(acc, m, shift) + offset;
        const int32_t got = pqk_rescale_short_x2(acc, m, ~shift, 2 * offset + 1) >> 1;
        if (got != want) return printf("rescale_short(%d, %d, %d): %d, want %d\n", acc, m, shift, got, want), 1;
    }
    printf("fixed point: ok\n");
    return 0;
}

/* pqk_roundf against roundf on float bit patterns; pqk_round and pqk_frexp against libm on a sweep of double bit
 * patterns (every exponent, random mantissas) and on the values QuantizeMultiplier meets. */
static int check_libm(uint32_t stride)
{
    uint64_t checked = 0;
    for (uint64_t i = 0; i <= 0xffffffffull; i += stride, checked++) {
        const uint32_t bits = (uint32_t)i;
        float x, a, b;
        memcpy(&x, &bits, 4);
        a = pqk_roundf(x), b = roundf(x);
        if (memcmp(&a, &b, 4) != 0 && !(x != x)) {
            printf("roundf mismatch at %a: pqk %a, libm %a\n", (double)x, (double)a, (double)b);
            return 1;
        }
    }
    uint64_t state = 0x9e3779b97f4a7c15ull, dchecked = 0;
    for (uint32_t k = 0; k < 4000000; k++, dchecked++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        uint64_t bits = state;
        if (k % 4 == 0)
            bits = (bits & ~(0x7ffull << 52)) | ((uint64_t)(1023 + (int)(k / 4 % 120) - 60) << 52); /* near 1 */
        if (k % 4 == 1) bits &= 0x800fffffffffffffull | (0x3ffull << 52); /* small and subnormal */
        double x, a, b;
        memcpy(&x, &bits, 8);
        if (x != x) continue;
        a = pqk_round(x), b = round(x);
        int e1 = 0, e2 = 0;
        const double f1 = pqk_frexp(x, &e1), f2 = frexp(x, &e2);
        if (memcmp(&a, &b, 8) != 0 || memcmp(&f1, &f2, 8) != 0 || (e1 != e2 && x - x == 0)) {
            printf("round/frexp mismatch at %a: round pqk %a libm %a, frexp pqk %a %d libm %a %d\n", x, a, b, f1, e1,
                   f2, e2);
            return 1;
        }
    }
    printf("libm: roundf on %llu floats, round and frexp on %llu doubles equal to libm\n", (unsigned long long)checked,
           (unsigned long long)dchecked);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "--sweep") == 0) return write_sweep(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
    const int all = argc > 1 && strcmp(argv[1], "--all") == 0;
    if (check_fixed_point()) return 1;
    if (check_libm(all ? 1u : 97u)) return 1;
    return check_expf(all ? 1u : 97u);
}
