/* The inner products of the optimized CONV_2D and FULLY_CONNECTED paths: int8 or packed int4 weight rows against
 * one int16 column that already carries the input offset. Plain C, DSP (SMLAD: two 16-bit MACs per instruction)
 * and MVE (Helium: eight 16-bit lanes) paths, chosen at build time. All sum the same integer products, so they
 * agree exactly (the int32 sums cannot overflow: dot lengths are capped at PQK_MAX_DOT_LENGTH). */
#include <string.h>

#include "kernels.h"
#include "simd.h"

/* DSP builds keep each full group of four column entries as x0, x2, x1, x3: the order SXTB16 unpacks weights in. */
static inline int32_t col_at(const int16_t *x, int32_t i, int32_t n)
{
#if defined(PQK_DSP) && !defined(PQK_MVE)
    if (i < (n & ~3)) return x[(i & ~3) | ((i & 1) << 1) | ((i >> 1) & 1)];
#else
    (void)n;
#endif
    return x[i];
}

void pqk_col_finish(int16_t *x, int32_t n)
{
#if defined(PQK_DSP) && !defined(PQK_MVE)
    for (int32_t g = 0; g + 4 <= n; g += 4) {
        const int16_t t = x[g + 1];
        x[g + 1] = x[g + 2];
        x[g + 2] = t;
    }
#else
    (void)x;
    (void)n;
#endif
}

static int32_t dot_scalar(const int8_t *w, int is_int4, uint32_t first, const int16_t *x, int32_t from, int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = from; i < n; i++) acc += pqk_weight(w, is_int4, first + (uint32_t)i) * col_at(x, i, n);
    return acc;
}

#if defined(PQK_MVE)
static void dot2_int8(const int8_t *wa, const int8_t *wb, const int16_t *x, int32_t n, int32_t *a, int32_t *b)
{
    int32_t sa = 0, sb = 0;
    for (int32_t i = 0; i < n; i += 8) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - i));
        const int16x8_t xv = vldrhq_z_s16(x + i, p);
        sa = vmladavaq_p_s16(sa, vldrbq_z_s16(wa + i, p), xv, p); /* int8 weights widened to 16-bit lanes */
        sb = vmladavaq_p_s16(sb, vldrbq_z_s16(wb + i, p), xv, p);
    }
    *a = sa;
    *b = sb;
}
#elif defined(PQK_DSP)
static void dot2_int8(const int8_t *wa, const int8_t *wb, const int16_t *x, int32_t n, int32_t *a, int32_t *b)
{
    int32_t sa = 0, sb = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t x02 = pqk_load_u32(x + i), x13 = pqk_load_u32(x + i + 2);
        const uint32_t fa = pqk_load_u32(wa + i), fb = pqk_load_u32(wb + i);
        sa = pqk_smlad(pqk_sxtb16(fa), x02, sa);
        sa = pqk_smlad(pqk_sxtb16_ror8(fa), x13, sa);
        sb = pqk_smlad(pqk_sxtb16(fb), x02, sb);
        sb = pqk_smlad(pqk_sxtb16_ror8(fb), x13, sb);
    }
    for (; i < n; i++) {
        sa += wa[i] * x[i];
        sb += wb[i] * x[i];
    }
    *a = sa;
    *b = sb;
}
#else
static void dot2_int8(const int8_t *wa, const int8_t *wb, const int16_t *x, int32_t n, int32_t *a, int32_t *b)
{
    *a = dot_scalar(wa, 0, 0, x, 0, n);
    *b = dot_scalar(wb, 0, 0, x, 0, n);
}
#endif

#if defined(PQK_DSP) && !defined(PQK_MVE)
/* Two bytes = four int4 weights; each lands as nibble << 4 in a byte SXTB16 widens, so products come out x16
 * (exact: |sum| <= 16 * 8 * 255 * PQK_MAX_DOT_LENGTH < 2^31). Two rows share each column load. */
static void dot2_int4(const int8_t *w, uint32_t first_a, uint32_t first_b, const int16_t *x, int32_t n, int32_t *a,
                      int32_t *b)
{
    const uint8_t *wa = (const uint8_t *)w + (first_a >> 1), *wb = (const uint8_t *)w + (first_b >> 1);
    int32_t sa = 0, sb = 0, i = 0;
    for (; i + 4 <= n; i += 4, wa += 2, wb += 2) {
        const uint32_t x02 = pqk_load_u32(x + i), x13 = pqk_load_u32(x + i + 2);
        uint16_t ha, hb;
        memcpy(&ha, wa, 2);
        memcpy(&hb, wb, 2);
        sa = pqk_smlad(pqk_sxtb16(((ha & 0x000fu) << 4) | ((ha & 0x0f00u) << 12)), x02, sa);
        sa = pqk_smlad(pqk_sxtb16((ha & 0x00f0u) | ((ha & 0xf000u) << 8)), x13, sa);
        sb = pqk_smlad(pqk_sxtb16(((hb & 0x000fu) << 4) | ((hb & 0x0f00u) << 12)), x02, sb);
        sb = pqk_smlad(pqk_sxtb16((hb & 0x00f0u) | ((hb & 0xf000u) << 8)), x13, sb);
    }
    *a = (sa >> 4) + dot_scalar(w, 1, first_a, x, i, n);
    *b = (sb >> 4) + dot_scalar(w, 1, first_b, x, i, n);
}
#elif defined(PQK_DSP)
/* Column in natural order (MVE builds): one byte gives the pair (w0, w1), as nibble << 4, so products come x16. */
static void dot2_int4(const int8_t *w, uint32_t first_a, uint32_t first_b, const int16_t *x, int32_t n, int32_t *a,
                      int32_t *b)
{
    const uint8_t *wa = (const uint8_t *)w + (first_a >> 1), *wb = (const uint8_t *)w + (first_b >> 1);
    int32_t sa = 0, sb = 0, i = 0;
    for (; i + 2 <= n; i += 2, wa++, wb++) {
        const uint32_t x01 = pqk_load_u32(x + i);
        sa = pqk_smlad(pqk_sxtb16(((uint32_t)(*wa & 0x0fu) << 4) | ((uint32_t)(*wa & 0xf0u) << 16)), x01, sa);
        sb = pqk_smlad(pqk_sxtb16(((uint32_t)(*wb & 0x0fu) << 4) | ((uint32_t)(*wb & 0xf0u) << 16)), x01, sb);
    }
    *a = (sa >> 4) + dot_scalar(w, 1, first_a, x, i, n);
    *b = (sb >> 4) + dot_scalar(w, 1, first_b, x, i, n);
}
#else
static void dot2_int4(const int8_t *w, uint32_t first_a, uint32_t first_b, const int16_t *x, int32_t n, int32_t *a,
                      int32_t *b)
{
    *a = dot_scalar(w, 1, first_a, x, 0, n);
    *b = dot_scalar(w, 1, first_b, x, 0, n);
}
#endif
/* Both rows must start on a byte boundary (the dispatcher below checks). */

void pqk_dot2_s8_s16(const int8_t *w, int is_int4, uint32_t first_a, uint32_t first_b, const int16_t *x, int32_t n,
                     int32_t *a, int32_t *b)
{
    if (is_int4 && ((first_a | first_b) & 1)) { /* a row starting mid-byte: no packed path */
        *a = dot_scalar(w, 1, first_a, x, 0, n);
        *b = dot_scalar(w, 1, first_b, x, 0, n);
    } else if (is_int4)
        dot2_int4(w, first_a, first_b, x, n, a, b);
    else
        dot2_int8(w + first_a, w + first_b, x, n, a, b);
}

int32_t pqk_dot_s8_s16(const int8_t *w, int is_int4, uint32_t first, const int16_t *x, int32_t n)
{
    int32_t a, b;
    pqk_dot2_s8_s16(w, is_int4, first, first, x, n, &a, &b);
    return a;
}

void pqk_offset_to_s16(const int8_t *x, int32_t offset, int16_t *dst, int32_t n)
{
    for (int32_t i = 0; i < n; i++) dst[i] = (int16_t)(x[i] + offset);
}
