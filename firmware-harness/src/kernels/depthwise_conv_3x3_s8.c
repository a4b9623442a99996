/* The optimized DEPTHWISE_CONV_2D path for a 3x3 filter, multiplier 1, int8 or int4 weights, a channel count that
 * is a multiple of 4 and the short rescale (Prepare sends the rest to the general channel loops): the taps are
 * unrolled; each tap reads one word of four input channels and their four weights
 * from the model (a word of int8, or a halfword of four nibbles), SXTB16 splits both into the pairs (c, c+2) and
 * (c+1, c+3), and each channel accumulates on its own with SMLABB / SMLATT. The input offset is not added per tap:
 * each channel starts from bias + offset x its weights, computed once per Eval. Taps in the padding read the input
 * zero point, whose product with the weights that start cancels. Sums wrap modulo 2^32 as the plain path's int32
 * sums do. int4 nibbles are placed at the top of their bytes, so their products come out times 16 and are shifted
 * back exactly (nine terms of 255 x 8) before the start is added. */
#include <string.h>

#include "kernels.h"
#include "simd.h"

void pqk_dw3x3_start(const pqk_op_data *op, const int8_t *w, int is_int4, const int32_t *bias, int32_t c_n,
                     int32_t *start)
{
    for (int32_t c = 0; c < c_n; c++) {
        uint32_t s = bias ? (uint32_t)bias[c] : 0u;
        for (int32_t t = 0; t < 9; t++)
            s += (uint32_t)(op->in_offset * pqk_weight(w, is_int4, (uint32_t)(t * c_n + c)));
        start[c] = (int32_t)s;
    }
}

/* Channels c..c+3 of tap t as the pairs (c, c+2) and (c+1, c+3): int8 from a word; int4 from a halfword h of
 * nibbles n0..n3, spread to t = h | h << 8 so that (t << 4) & 0x00f000f0 holds n0, n2 and t & 0x00f000f0 holds
 * n1, n3 at the top of bytes 0 and 2. */
#define PQK_DW_WEIGHTS(t, we, wo)                                                                                      \
    uint32_t we, wo;                                                                                                   \
    if (is_int4) {                                                                                                     \
        const uint8_t *wb = (const uint8_t *)wc + (t) * (c_n / 2);                                                     \
        const uint32_t h = (uint32_t)wb[0] | ((uint32_t)wb[1] << 8), sp = h | (h << 8);                                \
        we = pqk_sxtb16((sp << 4) & 0x00f000f0u), wo = pqk_sxtb16(sp & 0x00f000f0u);                                   \
    } else {                                                                                                           \
        const uint32_t w4 = pqk_load_u32(wc + (t)*c_n);                                                                \
        we = pqk_sxtb16(w4), wo = pqk_sxtb16_ror8(w4);                                                                 \
    }

#define PQK_DW_TAP(t)                                                                                                  \
    do {                                                                                                               \
        const uint32_t x4 = pqk_load_u32(taps[t] + c);                                                                 \
        const uint32_t xe = pqk_sxtb16(x4), xo = pqk_sxtb16_ror8(x4);                                                  \
        PQK_DW_WEIGHTS(t, we, wo)                                                                                      \
        a0 = pqk_smlabb(we, xe, a0);                                                                                   \
        a2 = pqk_smlatt(we, xe, a2);                                                                                   \
        a1 = pqk_smlabb(wo, xo, a1);                                                                                   \
        a3 = pqk_smlatt(wo, xo, a3);                                                                                   \
        __asm__ volatile("" ::: "memory"); /* keeps each tap's loads with its MACs instead of all hoisted, spilled */  \
    } while (0)

/* Channel c's output value by the short rescale, k = 2 x output offset + 1. */
static inline __attribute__((always_inline)) int8_t dw_out_short(const pqk_op_data *op, int32_t acc, int32_t c,
                                                                 int32_t k, int full_range)
{
    return pqk_out_short(acc, op->mults[c], ~op->shifts[c], k, full_range, op->act_min, op->act_max);
}

/* One output pixel, all channels: taps[t] points at channel 0 of tap t (row-major), or at a row of the input zero
 * point for a tap in the padding. The rescale is the short one (Prepare takes this path only where it is exact);
 * `full_range`: the output clamp is the whole int8 range, one SSAT. */
static inline __attribute__((always_inline)) void dw3x3_pixel(const pqk_op_data *op, const int8_t *const *taps,
                                                              int32_t c_n, const int8_t *w, const int32_t *start,
                                                              int8_t *y, int is_int4, int full_range)
{
    const int32_t k = 2 * op->out_offset + 1;
    for (int32_t c = 0; c < c_n; c += 4) {
        const int8_t *wc = w + (is_int4 ? c / 2 : c);
        int32_t a0 = is_int4 ? 0 : start[c], a1 = is_int4 ? 0 : start[c + 1];
        int32_t a2 = is_int4 ? 0 : start[c + 2], a3 = is_int4 ? 0 : start[c + 3];
        PQK_DW_TAP(0);
        PQK_DW_TAP(1);
        PQK_DW_TAP(2);
        PQK_DW_TAP(3);
        PQK_DW_TAP(4);
        PQK_DW_TAP(5);
        PQK_DW_TAP(6);
        PQK_DW_TAP(7);
        PQK_DW_TAP(8);
        if (is_int4) {
            a0 = pqk_add_wrap(a0 >> 4, start[c]), a1 = pqk_add_wrap(a1 >> 4, start[c + 1]);
            a2 = pqk_add_wrap(a2 >> 4, start[c + 2]), a3 = pqk_add_wrap(a3 >> 4, start[c + 3]);
        }
        y[c] = dw_out_short(op, a0, c, k, full_range), y[c + 1] = dw_out_short(op, a1, c + 1, k, full_range);
        y[c + 2] = dw_out_short(op, a2, c + 2, k, full_range), y[c + 3] = dw_out_short(op, a3, c + 3, k, full_range);
    }
}

#if defined(PQK_MVE)
/* Helium, int8 weights and the short rescale: sixteen channels per pass as four vectors of four lanes, inputs and
 * weights widened by the loads (VLDRB.S32, one base address per tap serving the four vectors), one VMUL and VADD per
 * tap and vector, the rescale on each vector and a narrowing store; four channels per pass for the rest. */
#define PQK_DW_MVE_TAP(t, v) acc##v = vaddq_s32(acc##v, vmulq_s32(vldrbq_s32(xt + 4 * (v)), vldrbq_s32(wt + 4 * (v))))
/* One tap of sixteen channels, written out: the compiler otherwise computes each load's address separately. */
static inline __attribute__((always_inline)) void dw_mve_tap16(const int8_t *xt, const int8_t *wt, int32x4_t *a0,
                                                               int32x4_t *a1, int32x4_t *a2, int32x4_t *a3)
{
    int32x4_t x, w;
    __asm__("vldrb.s32 %q[x], [%[xt]]\n\t"
            "vldrb.s32 %q[w], [%[wt]]\n\t"
            "vmul.i32 %q[x], %q[x], %q[w]\n\t"
            "vadd.i32 %q[a0], %q[a0], %q[x]\n\t"
            "vldrb.s32 %q[x], [%[xt], #4]\n\t"
            "vldrb.s32 %q[w], [%[wt], #4]\n\t"
            "vmul.i32 %q[x], %q[x], %q[w]\n\t"
            "vadd.i32 %q[a1], %q[a1], %q[x]\n\t"
            "vldrb.s32 %q[x], [%[xt], #8]\n\t"
            "vldrb.s32 %q[w], [%[wt], #8]\n\t"
            "vmul.i32 %q[x], %q[x], %q[w]\n\t"
            "vadd.i32 %q[a2], %q[a2], %q[x]\n\t"
            "vldrb.s32 %q[x], [%[xt], #12]\n\t"
            "vldrb.s32 %q[w], [%[wt], #12]\n\t"
            "vmul.i32 %q[x], %q[x], %q[w]\n\t"
            "vadd.i32 %q[a3], %q[a3], %q[x]"
            : [a0] "+w"(*a0), [a1] "+w"(*a1), [a2] "+w"(*a2), [a3] "+w"(*a3), [x] "=&w"(x), [w] "=&w"(w)
            : [xt] "r"(xt), [wt] "r"(wt)
            : "memory");
}
#define PQK_DW_MVE_OUT(v)                                                                                              \
    vstrbq_s32(y + c + 4 * (v), pqk_out_short_mve(acc##v, vldrwq_s32(op->mults + c + 4 * (v)),                         \
                                                  vaddq_n_s32(vldrwq_s32(op->shifts + c + 4 * (v)), 1), k, lo, hi))
/* Channels c..c+3 of one pixel (a channel count that is not a multiple of 16 ends in these). */
static inline __attribute__((always_inline)) void dw_mve_channels4(const pqk_op_data *op, const int8_t *const *taps,
                                                                   int32_t c, int32_t c_n, const int8_t *w,
                                                                   const int32_t *start, int8_t *y, int32_t k,
                                                                   int32x4_t lo, int32x4_t hi)
{
    int32x4_t acc0 = vldrwq_s32(start + c);
    const int8_t *wt = w + c;
    for (int32_t t = 0; t < 9; t++, wt += c_n) {
        const int8_t *xt = taps[t] + c;
        PQK_DW_MVE_TAP(t, 0);
    }
    PQK_DW_MVE_OUT(0);
}

/* Helium with no weight -128: taps in pairs, eight channels at a time (half h of a block of sixteen): the inputs and
 * weights widened to int16 by the loads, each tap's products by VMUL.I16, the two taps' products summed in int16,
 * which is exact as no weight is -128 (Prepare checks: |x w| <= 128 x 127, so two of them stay within 32,767), then
 * widened into the accumulators by VMOVLB / VMOVLT: acc[2h] holds channels 8h + 0, 2, 4, 6 and acc[2h + 1]
 * channels 8h + 1, 3, 5, 7. 11 instructions for 16 MACs, against 16 with int32 lanes. */
static const uint32_t PQK_DW_PAIR_LANES[4][4] = {{0, 2, 4, 6}, {1, 3, 5, 7}, {8, 10, 12, 14}, {9, 11, 13, 15}};
/* One half (h = 0 or 8 bytes in) of taps t and t + 1: x at xa, xb, weights at wa, wb. */
#define PQK_DW_PAIR_HALF(h, ev, od)                                                                                    \
    "vldrb.s16 q4, [%[xa], #" #h "]\n\t"                                                                               \
    "vldrb.s16 q5, [%[wa], #" #h "]\n\t"                                                                               \
    "vldrb.s16 q6, [%[xb], #" #h "]\n\t"                                                                               \
    "vldrb.s16 q7, [%[wb], #" #h "]\n\t"                                                                               \
    "vmul.i16 q4, q4, q5\n\t"                                                                                          \
    "vmul.i16 q6, q6, q7\n\t"                                                                                          \
    "vadd.i16 q4, q4, q6\n\t"                                                                                          \
    "vmovlb.s16 q5, q4\n\t"                                                                                            \
    "vadd.i32 %q[" #ev "], %q[" #ev "], q5\n\t"                                                                        \
    "vmovlt.s16 q5, q4\n\t"                                                                                            \
    "vadd.i32 %q[" #od "], %q[" #od "], q5\n\t"
/* Taps t and t + 1 of sixteen channels: their input pointers from the taps array plus c, the weights at wa and
 * wa + c_n; wa moves on two taps. */
#define PQK_DW_PAIR(t)                                                                                                 \
    "ldr %[xa], [%[taps], #" #t " * 4]\n\t"                                                                            \
    "ldr %[xb], [%[taps], #" #t " * 4 + 4]\n\t"                                                                        \
    "add %[xa], %[xa], %[c]\n\t"                                                                                       \
    "add %[xb], %[xb], %[c]\n\t"                                                                                       \
    "add %[wb], %[wa], %[cn]\n\t" PQK_DW_PAIR_HALF(0, a0, a1)                                                          \
        PQK_DW_PAIR_HALF(8, a2, a3) "add %[wa], %[wb], %[cn]\n\t"
/* The ninth tap alone. */
#define PQK_DW_LAST_HALF(h, ev, od)                                                                                    \
    "vldrb.s16 q4, [%[xa], #" #h "]\n\t"                                                                               \
    "vldrb.s16 q5, [%[wa], #" #h "]\n\t"                                                                               \
    "vmul.i16 q4, q4, q5\n\t"                                                                                          \
    "vmovlb.s16 q5, q4\n\t"                                                                                            \
    "vadd.i32 %q[" #ev "], %q[" #ev "], q5\n\t"                                                                        \
    "vmovlt.s16 q5, q4\n\t"                                                                                            \
    "vadd.i32 %q[" #od "], %q[" #od "], q5\n\t"

/* The nine taps of sixteen channels, int16 products summed in pairs, written out: the compiler otherwise keeps
 * more values in the eight Q registers than fit and spills inside the taps. */
static inline __attribute__((always_inline)) void dw_mve_taps16(const int8_t *const *taps, int32_t c, const int8_t *wc,
                                                                int32_t c_n, int32x4_t *a0, int32x4_t *a1,
                                                                int32x4_t *a2, int32x4_t *a3)
{
    const int8_t *xa, *xb, *wb, *wa = wc;
    __asm__(PQK_DW_PAIR(0) PQK_DW_PAIR(2) PQK_DW_PAIR(4)
                PQK_DW_PAIR(6) "ldr %[xa], [%[taps], #32]\n\t"
                               "add %[xa], %[xa], %[c]\n\t" PQK_DW_LAST_HALF(0, a0, a1) PQK_DW_LAST_HALF(8, a2, a3)
            : [a0] "+w"(*a0), [a1] "+w"(*a1), [a2] "+w"(*a2), [a3] "+w"(*a3), [xa] "=&l"(xa), [xb] "=&l"(xb),
              [wb] "=&l"(wb), [wa] "+l"(wa)
            : [taps] "r"(taps), [c] "r"(c), [cn] "r"(c_n)
            : "q4", "q5", "q6", "q7", "memory");
}
static void dw3x3_pixel_mve_pairs(const pqk_op_data *op, const int8_t *const *taps, int32_t c_n, const int8_t *w,
                                  const int32_t *start, int8_t *y)
{
    const int32_t k = 2 * op->out_offset + 1;
    const int32x4_t lo = vdupq_n_s32(op->act_min), hi = vdupq_n_s32(op->act_max);
    const uint32x4_t l0 = vldrwq_u32(PQK_DW_PAIR_LANES[0]), l1 = vldrwq_u32(PQK_DW_PAIR_LANES[1]);
    const uint32x4_t l2 = vldrwq_u32(PQK_DW_PAIR_LANES[2]), l3 = vldrwq_u32(PQK_DW_PAIR_LANES[3]);
    for (int32_t c = 0; c + 16 <= c_n; c += 16) {
        int32x4_t a0 = vldrwq_gather_shifted_offset_s32(start + c, l0),
                  a1 = vldrwq_gather_shifted_offset_s32(start + c, l1);
        int32x4_t a2 = vldrwq_gather_shifted_offset_s32(start + c, l2),
                  a3 = vldrwq_gather_shifted_offset_s32(start + c, l3);
        dw_mve_taps16(taps, c, w + c, c_n, &a0, &a1, &a2, &a3);
        const int32x4_t acc[4] = {a0, a1, a2, a3};
        const uint32x4_t lanes[4] = {l0, l1, l2, l3};
        for (int v = 0; v < 4; v++) {
            const int32x4_t mult = vldrwq_gather_shifted_offset_s32(op->mults + c, lanes[v]);
            const int32x4_t sh = vaddq_n_s32(vldrwq_gather_shifted_offset_s32(op->shifts + c, lanes[v]), 1);
            vstrbq_scatter_offset_s32(y + c, lanes[v], pqk_out_short_mve(acc[v], mult, sh, k, lo, hi));
        }
    }
    for (int32_t c = c_n & ~15; c < c_n; c += 4) dw_mve_channels4(op, taps, c, c_n, w, start, y, k, lo, hi);
}
static void dw3x3_pixel_mve(const pqk_op_data *op, const int8_t *const *taps, int32_t c_n, const int8_t *w,
                            const int32_t *start, int8_t *y)
{
    const int32_t k = 2 * op->out_offset + 1;
    const int32x4_t lo = vdupq_n_s32(op->act_min), hi = vdupq_n_s32(op->act_max);
    int32_t c = 0;
    for (; c + 16 <= c_n; c += 16) {
        int32x4_t acc0 = vldrwq_s32(start + c), acc1 = vldrwq_s32(start + c + 4);
        int32x4_t acc2 = vldrwq_s32(start + c + 8), acc3 = vldrwq_s32(start + c + 12);
        const int8_t *wt = w + c;
        for (int32_t t = 0; t < 9; t++, wt += c_n) dw_mve_tap16(taps[t] + c, wt, &acc0, &acc1, &acc2, &acc3);
        PQK_DW_MVE_OUT(0);
        PQK_DW_MVE_OUT(1);
        PQK_DW_MVE_OUT(2);
        PQK_DW_MVE_OUT(3);
    }
    for (; c < c_n; c += 4) dw_mve_channels4(op, taps, c, c_n, w, start, y, k, lo, hi);
}
#endif

/* The nine taps of the output pixel at (oy, ox) near a border: input pixels, or pad_row where in the padding. */
static void dw3x3_border_taps(const pqk_op_data *op, const int8_t *xb, const int32_t *dims, int32_t oy, int32_t ox,
                              const int8_t *pad_row, const int8_t **taps)
{
    const int32_t ih = dims[1], iw = dims[2], c_n = dims[3];
    for (int32_t ky = 0; ky < 3; ky++) {
        const int32_t iy = oy * op->stride_h - op->pad_h + ky * op->dil_h;
        for (int32_t kx = 0; kx < 3; kx++) {
            const int32_t ix = ox * op->stride_w - op->pad_w + kx * op->dil_w;
            const int inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
            taps[ky * 3 + kx] = inside ? xb + ((size_t)iy * iw + ix) * c_n : pad_row;
        }
    }
}

/* The taps of output pixel (oy, ox): an interior pixel's are its window's corner plus the offsets toff, a border
 * pixel's point at pad_row where they fall in the padding. */
static inline __attribute__((always_inline)) void dw3x3_taps(const pqk_op_data *op, const int8_t *xb,
                                                             const int32_t *in_dims, const int32_t *toff, int32_t oy,
                                                             int32_t ox, const int8_t *pad_row, const int8_t **taps)
{
    const int32_t ih = in_dims[1], iw = in_dims[2], c_n = in_dims[3];
    const int32_t iy0 = oy * op->stride_h - op->pad_h, ix0 = ox * op->stride_w - op->pad_w;
    if (iy0 >= 0 && iy0 + 2 * op->dil_h < ih && ix0 >= 0 && ix0 + 2 * op->dil_w < iw) {
        const int8_t *corner = xb + ((size_t)iy0 * iw + ix0) * c_n;
        for (int32_t t = 0; t < 9; t++) taps[t] = corner + toff[t];
    } else {
        dw3x3_border_taps(op, xb, in_dims, oy, ox, pad_row, taps);
    }
}

/* A clamp to the whole range or a ReLU's floor, int8 or int4 weights (every build but Helium): the weights of each
 * group of four channels are laid out once per Eval in a record, in the order the taps read them and already widened,
 * beside the group's starting sums and rescale: then a tap is one LDRD of two weight pairs, one LDR of four inputs, two
 * SXTB16 and four MACs, and the record pointer is the only state that moves besides the three input rows. Record
 * words: 0-3 the starting sums of channels c..c+3; 4-21 the nine taps, row by row and within a row the filter
 * column 2, 1, 0, each as (w[c], w[c+2]) then (w[c+1], w[c+3]); 22 the four right shifts less one, a byte each;
 * 23-26 the four multipliers. */
enum { DW_REC_WORDS = 27 };
#if !defined(PQK_MVE)

static inline int32_t dw_rec_tap(int32_t i) /* record tap i's filter position: rows in order, columns 2, 1, 0 */
{
    return i / 3 * 3 + 2 - i % 3;
}

static inline __attribute__((always_inline)) void dw_rec_fill_as(const pqk_op_data *op, const int8_t *w, int is_int4,
                                                                 const int32_t *bias, int32_t c_n, uint32_t *rec)
{
    for (int32_t c = 0; c < c_n; c += 4, rec += DW_REC_WORDS) {
        uint32_t rm1 = 0;
        for (int32_t j = 0; j < 4; j++) {
            uint32_t s = bias ? (uint32_t)bias[c + j] : 0u;
            for (int32_t t = 0; t < 9; t++)
                s += (uint32_t)(op->in_offset * pqk_weight(w, is_int4, (uint32_t)(t * c_n + c + j)));
            rec[j] = s;
            rm1 |= ((uint32_t)~op->shifts[c + j] & 0xffu) << (8 * j);
            rec[23 + j] = (uint32_t)op->mults[c + j];
        }
        for (int32_t i = 0; i < 9; i++) {
            const uint32_t base = (uint32_t)(dw_rec_tap(i) * c_n + c);
            if (!is_int4) {
                const uint32_t w4 = pqk_load_u32(w + base);
                rec[4 + 2 * i] = pqk_sxtb16(w4), rec[5 + 2 * i] = pqk_sxtb16_ror8(w4);
                continue;
            }
            int32_t v[4];
            for (int32_t j = 0; j < 4; j++) v[j] = pqk_weight(w, 1, base + (uint32_t)j);
            rec[4 + 2 * i] = ((uint32_t)v[0] & 0xffffu) | ((uint32_t)v[2] << 16);
            rec[5 + 2 * i] = ((uint32_t)v[1] & 0xffffu) | ((uint32_t)v[3] << 16);
        }
        rec[22] = rm1;
    }
}

static void dw_rec_fill(const pqk_op_data *op, const int8_t *w, int is_int4, const int32_t *bias, int32_t c_n,
                        uint32_t *rec)
{
    if (is_int4)
        dw_rec_fill_as(op, w, 1, bias, c_n, rec);
    else
        dw_rec_fill_as(op, w, 0, bias, c_n, rec);
}

/* One output pixel from the records, its taps as dw3x3_taps gives them: the readable form of the DSP code below,
 * which runs it where that does not apply (a filter row with both ends in the padding) and on cores without it. */
static void dw_rec_pixel(const uint32_t *rec, const int8_t *const *taps, int32_t c_n, int8_t *y, int32_t k, int32_t lo)
{
    for (int32_t c = 0; c < c_n; c += 4, rec += DW_REC_WORDS) {
        int32_t a0 = (int32_t)rec[0], a1 = (int32_t)rec[1], a2 = (int32_t)rec[2], a3 = (int32_t)rec[3];
        for (int32_t i = 0; i < 9; i++) {
            const uint32_t x4 = pqk_load_u32(taps[dw_rec_tap(i)] + c), xe = pqk_sxtb16(x4), xo = pqk_sxtb16_ror8(x4);
            const uint32_t we = rec[4 + 2 * i], wo = rec[5 + 2 * i];
            a0 = pqk_smlabb(we, xe, a0), a2 = pqk_smlatt(we, xe, a2);
            a1 = pqk_smlabb(wo, xo, a1), a3 = pqk_smlatt(wo, xo, a3);
        }
        const uint32_t rm1 = rec[22];
        const int32_t acc[4] = {a0, a1, a2, a3};
        for (int32_t j = 0; j < 4; j++)
            y[c + j] = pqk_out_short(acc[j], (int32_t)rec[23 + j], (int32_t)((rm1 >> (8 * j)) & 0xffu), k, 0, lo, 127);
    }
}

#if defined(PQK_DSP)
/* The DSP form, one output pixel, written out: the four sums, a tap's two weight pairs and two input pairs, the
 * record, the three input rows, the channel count and the output take all fourteen registers: r0-r3 the sums of
 * channels c..c+3, r4 / r5 the weights (c, c+2) / (c+1, c+3), r6 / r12 the inputs likewise, r7 the record, r8-r10
 * the rows, r11 the channel count, lr the output. A row points at its filter column 0, which the three taps read as
 * [row, 2 c_n], [row, c_n] and [row] (moving the row on four channels); where column 0 (2) is in the padding the
 * row points at column 1 (0), the tap in the padding reads the input zero point from the stack, and the others
 * move up one place. The rescale is the short one (pqk_out_short); the four bytes are stored as one word after
 * a floor on each byte (SSUB8 / SEL against the floor in every byte: no change where it is -128). */
typedef struct {
    const int8_t *rows[3]; /* 0 */
    int8_t *y;             /* 12 */
    const uint32_t *rec;   /* 16 */
    const int8_t *y_end;   /* 20: y + c_n */
    int32_t c_n;           /* 24 */
    int32_t k;             /* 28: 2 x output offset + 1 */
    uint32_t lo4;          /* 32: the floor in each byte */
    uint32_t zp2;          /* 36: the input zero point in both halfwords */
} dw_rec_state;

#define PQK_DWR_TAP(xaddr)                                                                                             \
    "ldrd r4, r5, [r7], #8\n\t"                                                                                        \
    "ldr r12, " xaddr "\n\t"                                                                                           \
    "sxtb16 r6, r12\n\t"                                                                                               \
    "sxtb16 r12, r12, ror #8\n\t"                                                                                      \
    "smlabb r0, r4, r6, r0\n\t"                                                                                        \
    "smlatt r2, r4, r6, r2\n\t"                                                                                        \
    "smlabb r1, r5, r12, r1\n\t"                                                                                       \
    "smlatt r3, r5, r12, r3\n\t"
#define PQK_DWR_PAD                                                                                                    \
    "ldrd r4, r5, [r7], #8\n\t"                                                                                        \
    "ldr r6, [sp, #12]\n\t"                                                                                            \
    "smlabb r0, r4, r6, r0\n\t"                                                                                        \
    "smlatt r2, r4, r6, r2\n\t"                                                                                        \
    "smlabb r1, r5, r6, r1\n\t"                                                                                        \
    "smlatt r3, r5, r6, r3\n\t"
#define PQK_DWR_ROW_MID(r)   PQK_DWR_TAP("[" r ", r11, lsl #1]") PQK_DWR_TAP("[" r ", r11]") PQK_DWR_TAP("[" r "], #4")
#define PQK_DWR_ROW_LEFT(r)  PQK_DWR_TAP("[" r ", r11]") PQK_DWR_TAP("[" r "], #4") PQK_DWR_PAD
#define PQK_DWR_ROW_RIGHT(r) PQK_DWR_PAD PQK_DWR_TAP("[" r ", r11]") PQK_DWR_TAP("[" r "], #4")
/* Channel ra by the short rescale: multiplier in rm, right shift less one in r12's low byte, k in r5. */
#define PQK_DWR_RESCALE(ra, rm)                                                                                        \
    "lsl " ra ", " ra ", #1\n\t"                                                                                       \
    "smmulr " ra ", " ra ", " rm "\n\t"                                                                                \
    "sub " ra ", " ra ", " ra ", lsr #31\n\t"                                                                          \
    "asr " ra ", " ra ", r12\n\t"                                                                                      \
    "add " ra ", " ra ", r5\n\t"                                                                                       \
    "ssat " ra ", #8, " ra ", asr #1\n\t"
/* clang-format off */
#define PQK_DWR_BODY(ROW) \
    "push {r4-r11, lr}\n\t" \
    "ldr r4, [r0, #20]\n\t" \
    "ldr r5, [r0, #28]\n\t" \
    "ldr r6, [r0, #32]\n\t" \
    "ldr r12, [r0, #36]\n\t" \
    "push {r4, r5, r6, r12}\n\t" /* sp: y_end, k, lo4, zp2 */ \
    "ldr r7, [r0, #16]\n\t" \
    "ldr r11, [r0, #24]\n\t" \
    "ldm r0, {r8, r9, r10, lr}\n\t" \
    "1:\n\t" \
    "ldmia r7!, {r0, r1, r2, r3}\n\t" \
    ROW("r8") ROW("r9") ROW("r10") \
    "ldr r12, [r7], #4\n\t" \
    "ldr r5, [sp, #4]\n\t" \
    "ldrd r4, r6, [r7], #8\n\t" \
    PQK_DWR_RESCALE("r0", "r4") "lsr r12, r12, #8\n\t" PQK_DWR_RESCALE("r1", "r6") "lsr r12, r12, #8\n\t" \
    "ldrd r4, r6, [r7], #8\n\t" \
    PQK_DWR_RESCALE("r2", "r4") "lsr r12, r12, #8\n\t" PQK_DWR_RESCALE("r3", "r6") \
    "bfi r0, r1, #8, #8\n\t" \
    "bfi r0, r2, #16, #8\n\t" \
    "bfi r0, r3, #24, #8\n\t" \
    "ldr r4, [sp, #8]\n\t" \
    "ssub8 r5, r0, r4\n\t" \
    "sel r0, r0, r4\n\t" \
    "str r0, [lr], #4\n\t" \
    "ldr r6, [sp]\n\t" \
    "cmp lr, r6\n\t" \
    "bne 1b\n\t" \
    "add sp, sp, #16\n\t" \
    "pop {r4-r11, pc}"
/* clang-format on */
__attribute__((naked, noinline)) static void dw_rec_mid(dw_rec_state *st __attribute__((unused)))
{
    __asm__(PQK_DWR_BODY(PQK_DWR_ROW_MID));
}
__attribute__((naked, noinline)) static void dw_rec_left(dw_rec_state *st __attribute__((unused)))
{
    __asm__(PQK_DWR_BODY(PQK_DWR_ROW_LEFT));
}
__attribute__((naked, noinline)) static void dw_rec_right(dw_rec_state *st __attribute__((unused)))
{
    __asm__(PQK_DWR_BODY(PQK_DWR_ROW_RIGHT));
}
#endif

/* Every output pixel from the records: on DSP cores through dw_rec_mid / left / right where at most one end of the
 * filter's rows is in the padding, otherwise through dw_rec_pixel. */
static void dw3x3_all_rec(const pqk_op_data *op, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                          const uint32_t *rec, const int8_t *zp_row, int8_t *y)
{
    const int32_t ih = in_dims[1], iw = in_dims[2], c_n = in_dims[3], k = 2 * op->out_offset + 1;
    int32_t toff[9];
    for (int32_t t = 0; t < 9; t++) toff[t] = ((t / 3) * op->dil_h * iw + (t % 3) * op->dil_w) * c_n;
#if defined(PQK_DSP)
    dw_rec_state st = {.rec = rec, .c_n = c_n, .k = k, .lo4 = (uint8_t)op->act_min * 0x01010101u};
    st.zp2 = ((uint32_t)-op->in_offset & 0xffffu) * 0x00010001u;
#endif
    for (int32_t n = 0; n < in_dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * c_n;
        for (int32_t oy = 0; oy < out_dims[1]; oy++) {
            for (int32_t ox = 0; ox < out_dims[2]; ox++, y += c_n) {
#if defined(PQK_DSP)
                const int32_t iy0 = oy * op->stride_h - op->pad_h, ix0 = ox * op->stride_w - op->pad_w;
                const int left = ix0 < 0, right = ix0 + 2 >= iw;
                if (ix0 >= -1 && ix0 + 1 < iw && !(left && right)) {
                    for (int32_t ky = 0; ky < 3; ky++) {
                        const int32_t iy = iy0 + ky * op->dil_h;
                        st.rows[ky] = iy >= 0 && iy < ih ? xb + ((size_t)iy * iw + ix0 + left) * c_n : zp_row;
                    }
                    st.y = y, st.y_end = y + c_n;
                    if (left)
                        dw_rec_left(&st);
                    else if (right)
                        dw_rec_right(&st);
                    else
                        dw_rec_mid(&st);
                    continue;
                }
#endif
                const int8_t *taps[9];
                dw3x3_taps(op, xb, in_dims, toff, oy, ox, zp_row, taps);
                dw_rec_pixel(rec, taps, c_n, y, k, op->act_min);
            }
        }
    }
}
#endif

/* Every output pixel: an interior pixel's taps are its window's corner plus nine offsets fixed per Eval. */
static inline __attribute__((always_inline)) void
dw3x3_all(const pqk_op_data *op, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims, const int8_t *w,
          const int32_t *start, const int8_t *pad_row, int8_t *y, int is_int4, int full_range, int mve)
{
    const int32_t ih = in_dims[1], iw = in_dims[2], c_n = in_dims[3];
    int32_t toff[9];
    for (int32_t t = 0; t < 9; t++) toff[t] = ((t / 3) * op->dil_h * iw + (t % 3) * op->dil_w) * c_n;
    for (int32_t n = 0; n < in_dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * c_n;
        for (int32_t oy = 0; oy < out_dims[1]; oy++) {
            for (int32_t ox = 0; ox < out_dims[2]; ox++, y += c_n) {
                const int8_t *taps[9];
                dw3x3_taps(op, xb, in_dims, toff, oy, ox, pad_row, taps);
#if defined(PQK_MVE)
                if (mve == 2) {
                    dw3x3_pixel_mve_pairs(op, taps, c_n, w, start, y);
                    continue;
                }
                if (mve) {
                    dw3x3_pixel_mve(op, taps, c_n, w, start, y);
                    continue;
                }
#endif
                (void)mve;
                dw3x3_pixel(op, taps, c_n, w, start, y, is_int4, full_range);
            }
        }
    }
}

/* The record path: a clamp that is the whole range or a floor at the top of it, filter columns next to each other.
 * Decided on the op alone, so that the scratch a host sizes is the scratch every core uses. */
static int dw3x3_records(const pqk_op_data *op)
{
    return pqk_clamp_kind(op->act_min, op->act_max) != PQK_CLAMP_BOTH && op->dil_w == 1;
}

uint32_t pqk_dw3x3_scratch_bytes(const pqk_op_data *op, int32_t c_n, int is_int4)
{
    /* records (DW_REC_WORDS words per four channels: that many bytes a channel) and three pixels of the input zero
     * point, or the starting sums (4 bytes a channel) and one pixel of it, then for int4 weights on Helium the nine
     * taps' weights as int8 */
    const uint32_t start = (is_int4 ? 14u : 5u) * (uint32_t)c_n, rec = (DW_REC_WORDS + 3u) * (uint32_t)c_n;
    return dw3x3_records(op) && rec > start ? rec : start;
}

/* The paths that read the weights from the model, from the starting sums and one pixel of the input zero point (on
 * Helium every 3x3 depthwise; elsewhere a clamp at both ends or dilated columns). Not inlined nor specialized (GCC's
 * noclone): the compiler's register choices in the Helium loops follow the enclosing function's shape, and this one
 * keeps them as measured (0.58 instructions per MAC on the M55; merged into pqk_dw3x3_run, 0.59). */
#if defined(__clang__)
#define PQK_NOCLONE
#else
#define PQK_NOCLONE __attribute__((noclone))
#endif
static __attribute__((noinline)) PQK_NOCLONE void
dw3x3_run_start(const pqk_op_data *op_in, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                const int8_t *w, int is_int4, int no_min_weight, const int32_t *start, const int8_t *pad_row, int8_t *y)
{
    const pqk_op_data op = *op_in; /* int8 stores cannot alias a local: no reloads */
    const int full_range = op.act_min == -128 && op.act_max == 127;
#if defined(PQK_MVE)
    (void)is_int4, (void)full_range; /* int4 weights come widened to int8 (pqk_dw3x3_run) */
    dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, 0, 0, no_min_weight ? 2 : 1);
#else
    /* a clamp at both ends or dilated columns, rare: the output range tested per value */
    dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, is_int4, 0, 0);
    (void)no_min_weight, (void)full_range;
#endif
}

void pqk_dw3x3_run(const pqk_op_data *op, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                   const int8_t *w, const int32_t *bias, int is_int4, int no_min_weight, void *scratch, int8_t *y)
{
#if !defined(PQK_MVE)
    if (dw3x3_records(op)) {
        const int32_t c_n = in_dims[3];
        uint32_t *rec = (uint32_t *)scratch;
        int8_t *zp_row = (int8_t *)(rec + DW_REC_WORDS * (c_n / 4));
        memset(zp_row, -op->in_offset, 3u * (size_t)c_n);
        dw_rec_fill(op, w, is_int4, bias, c_n, rec);
        dw3x3_all_rec(op, x, in_dims, out_dims, rec, zp_row, y);
        return;
    }
#endif
    const int32_t c_n = in_dims[3];
    int32_t *start = (int32_t *)scratch;
    int8_t *pad_row = (int8_t *)(start + c_n);
    memset(pad_row, -op->in_offset, (size_t)c_n); /* the input zero point */
    pqk_dw3x3_start(op, w, is_int4, bias, c_n, start);
#if defined(PQK_MVE)
    if (is_int4) { /* Helium runs int4 weights as int8 (never -128, so the paired taps), widened once per Eval */
        int8_t *w8 = pad_row + c_n;
        int32_t i = 0;
        for (; i + 32 <= 9 * c_n; i += 32) { /* 16 bytes: the low nibbles are the even weights, the high the odd */
            int8x16x2_t v;
            pqk_nibbles_mve(vldrbq_s8(w + i / 2), &v.val[0], &v.val[1]);
            vst2q_s8(w8 + i, v);
        }
        for (; i < 9 * c_n; i++) w8[i] = (int8_t)pqk_weight(w, 1, (uint32_t)i);
        w = w8, is_int4 = 0, no_min_weight = 1;
    }
#endif
    dw3x3_run_start(op, x, in_dims, out_dims, w, is_int4, no_min_weight, start, pad_row, y);
}
