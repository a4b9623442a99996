/* The optimized DEPTHWISE_CONV_2D path for a 3x3 filter, multiplier 1, int8 or int4 weights, a channel count that
 * is a multiple of 4 and the short rescale (Prepare sends the rest to the general channel loops): the taps are
 * unrolled; each tap reads one word of four input channels and their four weights
 * from the model (a word of int8, or a halfword of four nibbles), SXTB16 splits both into the pairs (c, c+2) and
 * (c+1, c+3), and each channel accumulates on its own with SMLABB / SMLATT. The input offset is not added per tap:
 * each channel starts from bias + offset x its weights, computed once per Eval. Taps in the padding read the input
 * zero point, whose product with the weights that start cancels. Sums wrap modulo 2^32 as the plain path's int32
 * sums do. int4 nibbles are placed at the top of their bytes, so their products come out times 16 and are shifted
 * back exactly (nine terms of 255 x 8) before the start is added. */
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

#if defined(PQK_DSP) && !defined(PQK_MVE)
/* DSP, int8 weights, a clamp to the whole range or a ReLU's floor: two horizontally adjacent output pixels at a time,
 * so each tap's four weights are loaded and widened once for both (20 instructions a tap for 8 MACs against 13 for
 * 4). Written out as one block: the two pixels' eight sums, the widened weights and inputs, the state pointer and
 * the channel offset take all fourteen registers. Registers: r0-r3 pixel 1's sums of channels c..c+3, r4-r6 and r8
 * pixel 2's, r9 / r10 the weights (c, c+2) / (c+1, c+3), r11 / r12 the inputs likewise, lr the channel c, r7 (the
 * one left) the state. */
typedef struct {
    const int8_t *x1[9];   /* 0: pixel 1's taps (channel 0) */
    const int8_t *x2[9];   /* 36: pixel 2's */
    const int8_t *w[9];    /* 72: the weights of each tap (channel 0) */
    const int32_t *start;  /* 108 */
    const int32_t *mults;  /* 112 */
    const int32_t *shifts; /* 116 */
    int8_t *y1;            /* 120 */
    int8_t *y2;            /* 124 */
    int32_t c_n;           /* 128 */
    int32_t k;             /* 132: 2 x output offset + 1 */
    int32_t lo;            /* 136 */
    int32_t spill[4];      /* 140: pixel 2's sums while pixel 1's are rescaled */
} dw_pair_state;

#define PQK_DW2_TAP(t)                                                                                                 \
    "ldr r10, [r7, #(72 + 4 * " #t ")]\n\t"                                                                            \
    "ldr r10, [r10, lr]\n\t"                                                                                           \
    "sxtb16 r9, r10\n\t"                                                                                               \
    "sxtb16 r10, r10, ror #8\n\t"                                                                                      \
    "ldr r12, [r7, #(4 * " #t ")]\n\t"                                                                                 \
    "ldr r12, [r12, lr]\n\t"                                                                                           \
    "sxtb16 r11, r12\n\t"                                                                                              \
    "sxtb16 r12, r12, ror #8\n\t"                                                                                      \
    "smlabb r0, r9, r11, r0\n\t"                                                                                       \
    "smlatt r2, r9, r11, r2\n\t"                                                                                       \
    "smlabb r1, r10, r12, r1\n\t"                                                                                      \
    "smlatt r3, r10, r12, r3\n\t"                                                                                      \
    "ldr r12, [r7, #(36 + 4 * " #t ")]\n\t"                                                                            \
    "ldr r12, [r12, lr]\n\t"                                                                                           \
    "sxtb16 r11, r12\n\t"                                                                                              \
    "sxtb16 r12, r12, ror #8\n\t"                                                                                      \
    "smlabb r4, r9, r11, r4\n\t"                                                                                       \
    "smlatt r6, r9, r11, r6\n\t"                                                                                       \
    "smlabb r5, r10, r12, r5\n\t"                                                                                      \
    "smlatt r8, r10, r12, r8\n\t"
/* Channel c + off / 4 of r0-r3 by the short rescale (pqk_out_short): r4 / r5 the multipliers / shifts at c, r6 k. */
#define PQK_DW2_RESCALE(ra, off)                                                                                       \
    "ldr r10, [r4, #" #off "]\n\t"                                                                                     \
    "ldr r11, [r5, #" #off "]\n\t"                                                                                     \
    "mvn r11, r11\n\t"                                                                                                 \
    "lsl " ra ", " ra ", #1\n\t"                                                                                       \
    "smmulr " ra ", " ra ", r10\n\t"                                                                                   \
    "sub " ra ", " ra ", " ra ", lsr #31\n\t"                                                                          \
    "asr " ra ", " ra ", r11\n\t"                                                                                      \
    "add " ra ", " ra ", r6\n\t"                                                                                       \
    "ssat " ra ", #8, " ra ", asr #1\n\t"
#define PQK_DW2_FLOOR(ra)                                                                                              \
    "cmp " ra ", r8\n\t"                                                                                               \
    "it lt\n\t"                                                                                                        \
    "movlt " ra ", r8\n\t"
/* r0-r3 rescaled, floored at lo unless lo is -128, and stored at the pixel whose pointer is at `yoff` in the state,
 * channels c..c+3. */
/* clang-format off */
#define PQK_DW2_OUT(yoff) \
    "ldr r4, [r7, #112]\n\t" \
    "add r4, r4, lr, lsl #2\n\t" \
    "ldr r5, [r7, #116]\n\t" \
    "add r5, r5, lr, lsl #2\n\t" \
    "ldr r6, [r7, #132]\n\t" \
    "ldr r8, [r7, #136]\n\t" \
    PQK_DW2_RESCALE("r0", 0) PQK_DW2_RESCALE("r1", 4) PQK_DW2_RESCALE("r2", 8) PQK_DW2_RESCALE("r3", 12) \
    "cmn r8, #128\n\t" \
    "beq 5f\n\t" \
    PQK_DW2_FLOOR("r0") PQK_DW2_FLOOR("r1") PQK_DW2_FLOOR("r2") PQK_DW2_FLOOR("r3") \
    "5:\n\t" \
    "ldr r9, [r7, #" #yoff "]\n\t" \
    "add r9, r9, lr\n\t" \
    "strb r0, [r9]\n\t" \
    "strb r1, [r9, #1]\n\t" \
    "strb r2, [r9, #2]\n\t" \
    "strb r3, [r9, #3]\n\t"
#define PQK_DW2_BODY \
    "mov lr, #0\n\t" \
    "1:\n\t" \
    "ldr r9, [r7, #108]\n\t" \
    "add r9, r9, lr, lsl #2\n\t" \
    "ldm r9, {r0, r1, r2, r3}\n\t" \
    "mov r4, r0\n\t" \
    "mov r5, r1\n\t" \
    "mov r6, r2\n\t" \
    "mov r8, r3\n\t" \
    PQK_DW2_TAP(0) PQK_DW2_TAP(1) PQK_DW2_TAP(2) PQK_DW2_TAP(3) PQK_DW2_TAP(4) \
    PQK_DW2_TAP(5) PQK_DW2_TAP(6) PQK_DW2_TAP(7) PQK_DW2_TAP(8) \
    "add r9, r7, #140\n\t" \
    "stm r9, {r4, r5, r6, r8}\n\t" \
    PQK_DW2_OUT(120) \
    "add r9, r7, #140\n\t" \
    "ldm r9, {r0, r1, r2, r3}\n\t" \
    PQK_DW2_OUT(124) \
    "add lr, lr, #4\n\t" \
    "ldr r9, [r7, #128]\n\t" \
    "cmp lr, r9\n\t" \
    "blt 1b"
/* clang-format on */
#define PQK_DW2_CLOBBERS "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"

static void dw3x3_pair_dsp(dw_pair_state *st)
{
    __asm__ volatile(PQK_DW2_BODY : : "r"(st) : PQK_DW2_CLOBBERS);
}

/* Every output pixel, two at a time along each row; a row's odd last pixel through dw3x3_pixel. */
static void dw3x3_all_pairs(const pqk_op_data *op, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                            const int8_t *w, const int32_t *start, const int8_t *pad_row, int8_t *y, int clamp)
{
    const int32_t ih = in_dims[1], iw = in_dims[2], c_n = in_dims[3];
    int32_t toff[9];
    for (int32_t t = 0; t < 9; t++) toff[t] = ((t / 3) * op->dil_h * iw + (t % 3) * op->dil_w) * c_n;
    dw_pair_state st;
    for (int32_t t = 0; t < 9; t++) st.w[t] = w + t * c_n;
    st.start = start, st.mults = op->mults, st.shifts = op->shifts, st.c_n = c_n;
    st.k = 2 * op->out_offset + 1, st.lo = op->act_min;
    for (int32_t n = 0; n < in_dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * c_n;
        for (int32_t oy = 0; oy < out_dims[1]; oy++) {
            int32_t ox = 0;
            for (; ox + 1 < out_dims[2]; ox += 2, y += 2 * c_n) {
                dw3x3_taps(op, xb, in_dims, toff, oy, ox, pad_row, st.x1);
                dw3x3_taps(op, xb, in_dims, toff, oy, ox + 1, pad_row, st.x2);
                st.y1 = y, st.y2 = y + c_n;
                dw3x3_pair_dsp(&st);
            }
            if (ox < out_dims[2]) {
                const int8_t *taps[9];
                dw3x3_taps(op, xb, in_dims, toff, oy, ox, pad_row, taps);
                dw3x3_pixel(op, taps, c_n, w, start, y, 0, clamp == PQK_CLAMP_NONE);
                y += c_n;
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

void pqk_dw3x3_run(const pqk_op_data *op_in, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                   const int8_t *w, int is_int4, int no_min_weight, const int32_t *start, const int8_t *pad_row,
                   int8_t *y)
{
    const pqk_op_data op = *op_in; /* int8 stores cannot alias a local: no reloads */
    const int full_range = op.act_min == -128 && op.act_max == 127;
    if (is_int4) /* one body, the output range tested per value */
        dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, 1, full_range, 0);
#if defined(PQK_MVE)
    else
        dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, 0, 0, no_min_weight ? 2 : 1);
#else
#if defined(PQK_DSP)
    else if (pqk_clamp_kind(op.act_min, op.act_max) != PQK_CLAMP_BOTH)
        dw3x3_all_pairs(&op, x, in_dims, out_dims, w, start, pad_row, y, pqk_clamp_kind(op.act_min, op.act_max));
#endif
    else if ((void)no_min_weight, full_range)
        dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, 0, 1, 0);
    else
        dw3x3_all(&op, x, in_dims, out_dims, w, start, pad_row, y, 0, 0, 0);
#endif
}
