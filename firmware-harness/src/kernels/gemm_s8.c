/* The GEMM of the optimized CONV_2D path, int8 or packed int4 weights. The weights stay where the model keeps them
 * ([rows, depth]) and are widened in registers; the column holds PQK_GEMM_PIXELS output pixels' inputs, offset and
 * widened to int16 pairs, so each widened weight pair feeds four SMLADs: one output channel of four pixels per pass,
 * and no copy of the weights in RAM. The int32 sums are exact, so any summation order gives the plain path's.
 *
 * int8 (depth a multiple of 4): group g of four depth elements is one word of weights, split by SXTB16 into
 * A = (w[4g], w[4g+2]) and, with ROR #8, B = (w[4g+1], w[4g+3]); the column holds 8 words per group, pair A of
 * pixels 0..3 then pair B. 16 MACs in 13 instructions.
 *
 * int4 (depth a multiple of 8, two weights per byte, low nibble first): group g of eight is one word; each nibble
 * is moved to the top of its byte (LSL #4 and AND 0xf0f0f0f0 for the low ones, AND for the high ones) so that SXTB16
 * widens it times 16: (w0, w4), (w2, w6), (w1, w5), (w3, w7) of the group, in that order in the column (16 words).
 * 32 MACs in 31 instructions; the sums come out times 16 and are shifted back exactly (at most 65,535 terms of
 * 255 x 8 stay below 2^27), then the bias is added. */
#include "kernels.h"
#include "simd.h"

static inline uint32_t pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}

int pqk_gemm_fits(int32_t depth, int is_int4)
{
    return depth > 0 && depth % (is_int4 ? 8 : 4) == 0;
}

uint32_t pqk_gemm_scratch_bytes(int32_t rows, int32_t depth)
{
    return 2u * PQK_GEMM_PIXELS * (uint32_t)depth + (uint32_t)depth + (uint32_t)rows;
}

void pqk_gemm_col_s8(const int8_t *x, int32_t offset, int32_t depth, int p, int is_int4, uint32_t *col)
{
    const uint32_t off2 = pack16(offset, offset);
    if (!is_int4) {
        for (int32_t g = 0; g < depth / 4; g++, col += 2 * PQK_GEMM_PIXELS) {
            const uint32_t x4 = pqk_load_u32(x + 4 * g);
            col[p] = pqk_sadd16(pqk_sxtb16(x4), off2);
            col[PQK_GEMM_PIXELS + p] = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
        }
        return;
    }
    for (int32_t g = 0; g < depth / 8; g++, col += 4 * PQK_GEMM_PIXELS) {
        const uint32_t lo = pqk_load_u32(x + 8 * g), hi = pqk_load_u32(x + 8 * g + 4);
        const uint32_t le = pqk_sadd16(pqk_sxtb16(lo), off2),
                       lodd = pqk_sadd16(pqk_sxtb16_ror8(lo), off2); /* (0,2) (1,3) */
        const uint32_t he = pqk_sadd16(pqk_sxtb16(hi), off2),
                       hodd = pqk_sadd16(pqk_sxtb16_ror8(hi), off2);        /* (4,6) (5,7) */
        col[p] = (le & 0xffffu) | (he << 16);                               /* (0, 4) */
        col[PQK_GEMM_PIXELS + p] = (le >> 16) | (he & 0xffff0000u);         /* (2, 6) */
        col[2 * PQK_GEMM_PIXELS + p] = (lodd & 0xffffu) | (hodd << 16);     /* (1, 5) */
        col[3 * PQK_GEMM_PIXELS + p] = (lodd >> 16) | (hodd & 0xffff0000u); /* (3, 7) */
    }
}

#if defined(PQK_DSP)
/* Four SMLADs of one widened weight pair (in lr) against the next four column words. */
#define PQK_GEMM_MAC4                                                                                                  \
    "ldm %[x]!, {r8, r9, r10, r11}\n\t"                                                                                \
    "smlad %[a0], lr, r8, %[a0]\n\t"                                                                                   \
    "smlad %[a1], lr, r9, %[a1]\n\t"                                                                                   \
    "smlad %[a2], lr, r10, %[a2]\n\t"                                                                                  \
    "smlad %[a3], lr, r11, %[a3]\n\t"
#define PQK_GEMM_OPERANDS                                                                                              \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w)                             \
    :                                                                                                                  \
    : "r8", "r9", "r10", "r11", "r12", "lr", "memory"
/* One group, written out because the compiler otherwise loads every operand of an unrolled step first and spills
 * accumulators. */
#define PQK_GEMM_STEP_S8()                                                                                             \
    __asm__("ldr r12, [%[w]], #4\n\t"                                                                                  \
            "sxtb16 lr, r12\n\t" PQK_GEMM_MAC4 "sxtb16 lr, r12, ror #8\n\t" PQK_GEMM_MAC4 PQK_GEMM_OPERANDS)
#define PQK_GEMM_STEP_S4()                                                                                             \
    __asm__("ldr r12, [%[w]], #4\n\t"                                                                                  \
            "lsl lr, r12, #4\n\t"                                                                                      \
            "and lr, lr, #0xf0f0f0f0\n\t"                                                                              \
            "sxtb16 lr, lr\n\t" PQK_GEMM_MAC4 "lsl lr, r12, #4\n\t"                                                    \
            "and lr, lr, #0xf0f0f0f0\n\t"                                                                              \
            "sxtb16 lr, lr, ror #8\n\t" PQK_GEMM_MAC4 "and lr, r12, #0xf0f0f0f0\n\t"                                   \
            "sxtb16 lr, lr\n\t" PQK_GEMM_MAC4 "and lr, r12, #0xf0f0f0f0\n\t"                                           \
            "sxtb16 lr, lr, ror #8\n\t" PQK_GEMM_MAC4 PQK_GEMM_OPERANDS)
#else
#define PQK_GEMM_MAC4(wp)                                                                                              \
    do {                                                                                                               \
        a0 = pqk_smlad(wp, x[0], a0), a1 = pqk_smlad(wp, x[1], a1);                                                    \
        a2 = pqk_smlad(wp, x[2], a2), a3 = pqk_smlad(wp, x[3], a3);                                                    \
        x += 4;                                                                                                        \
    } while (0)
#define PQK_GEMM_STEP_S8()                                                                                             \
    do {                                                                                                               \
        const uint32_t w4 = pqk_load_u32(w);                                                                           \
        PQK_GEMM_MAC4(pqk_sxtb16(w4));                                                                                 \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(w4));                                                                            \
        w += 4;                                                                                                        \
    } while (0)
#define PQK_GEMM_STEP_S4()                                                                                             \
    do {                                                                                                               \
        const uint32_t w8 = pqk_load_u32(w), low = (w8 << 4) & 0xf0f0f0f0u, high = w8 & 0xf0f0f0f0u;                   \
        PQK_GEMM_MAC4(pqk_sxtb16(low));                                                                                \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(low));                                                                           \
        PQK_GEMM_MAC4(pqk_sxtb16(high));                                                                               \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(high));                                                                          \
        w += 4;                                                                                                        \
    } while (0)
#endif

/* One output channel of four pixels: the sums over the depth. int8 sums start at the bias (the same int32 wrap
 * as adding it last); int4 sums are shifted back, then the bias added. */
#define PQK_GEMM_ROW(r)                                                                                                \
    const int32_t b = bias ? bias[r] : 0;                                                                              \
    int32_t a0 = is_int4 ? 0 : b, a1 = a0, a2 = a0, a3 = a0;                                                           \
    const int8_t *w = weights + (size_t)(r) * (size_t)(is_int4 ? depth / 2 : depth);                                   \
    const uint32_t *x = col;                                                                                           \
    if (is_int4) {                                                                                                     \
        for (int32_t g = groups; g > 0; g--) PQK_GEMM_STEP_S4();                                                       \
        a0 = pqk_add_wrap(a0 >> 4, b), a1 = pqk_add_wrap(a1 >> 4, b);                                                  \
        a2 = pqk_add_wrap(a2 >> 4, b), a3 = pqk_add_wrap(a3 >> 4, b);                                                  \
    } else {                                                                                                           \
        if (groups & 1) PQK_GEMM_STEP_S8();                                                                            \
        for (int32_t g = groups >> 1; g > 0; g--) {                                                                    \
            PQK_GEMM_STEP_S8();                                                                                        \
            PQK_GEMM_STEP_S8();                                                                                        \
        }                                                                                                              \
    }

/* The usual case, decided at Prepare (op->rescale_short): the short rescale, seven instructions an output
 * (pqk_out_short); a clamp to the whole int8 range (a ReLU whose zero point is -128, or no activation) is one
 * saturating instruction. */
static inline __attribute__((always_inline)) void gemm_run_short(const pqk_op_data *op, const int8_t *weights,
                                                                 const uint32_t *col, const int32_t *bias, int8_t *y0,
                                                                 int8_t *y1, int8_t *y2, int8_t *y3, int is_int4,
                                                                 int full_range)
{
    const int32_t rows = op->gemm_rows, depth = op->gemm_depth, groups = depth / (is_int4 ? 8 : 4);
    const int32_t *mults = op->mults, *shifts = op->shifts;
    const int32_t lo = op->act_min, hi = op->act_max, k = 2 * op->out_offset + 1;
    for (int32_t r = 0; r < rows; r++) {
        PQK_GEMM_ROW(r)
        const int32_t mult = mults[r], rm1 = ~shifts[r];
        y0[r] = pqk_out_short(a0, mult, rm1, k, full_range, lo, hi);
        y1[r] = pqk_out_short(a1, mult, rm1, k, full_range, lo, hi);
        y2[r] = pqk_out_short(a2, mult, rm1, k, full_range, lo, hi);
        y3[r] = pqk_out_short(a3, mult, rm1, k, full_range, lo, hi);
    }
}

static void gemm_run_general(const pqk_op_data *op, const int8_t *weights, const uint32_t *col, const int32_t *bias,
                             int8_t *const *y, int is_int4)
{
    const int32_t rows = op->gemm_rows, depth = op->gemm_depth, groups = depth / (is_int4 ? 8 : 4);
    for (int32_t r = 0; r < rows; r++) {
        PQK_GEMM_ROW(r)
        y[0][r] = pqk_requant_gemm(op, a0, 0, r);
        y[1][r] = pqk_requant_gemm(op, a1, 0, r);
        y[2][r] = pqk_requant_gemm(op, a2, 0, r);
        y[3][r] = pqk_requant_gemm(op, a3, 0, r);
    }
}

void pqk_gemm_run(const pqk_op_data *op_in, const int8_t *weights, const uint32_t *col, const int32_t *bias,
                  int8_t *const *y)
{
    const pqk_op_data op = *op_in; /* a local copy: the int8 stores cannot alias it, so no reloads */
    const int full_range = op.act_min == -128 && op.act_max == 127;
    if (op.rescale_short && !op.gemm_int4 && full_range)
        gemm_run_short(&op, weights, col, bias, y[0], y[1], y[2], y[3], 0, 1);
    else if (op.rescale_short && !op.gemm_int4)
        gemm_run_short(&op, weights, col, bias, y[0], y[1], y[2], y[3], 0, 0);
    else if (op.rescale_short) /* int4: one body, the output range tested per value */
        gemm_run_short(&op, weights, col, bias, y[0], y[1], y[2], y[3], 1, full_range);
    else
        gemm_run_general(&op, weights, col, bias, y, op.gemm_int4);
}

#if defined(PQK_MVE)
/* Helium: per row, 16 weights per vector against each pixel's 16 inputs, VMLADAVA summing the products into the
 * pixel's accumulator, VADDVA summing the weights; a tail shorter than 16 is predicated (nothing past the row is
 * read). sum(w * (x + offset)) = sum(w * x) + offset * sum(w) exactly, modulo 2^32 as the plain path's sums. With
 * the short rescale, the four pixels' sums are rescaled as one vector and scattered to their rows with one VSTRB. */
static inline __attribute__((always_inline)) void gemm_mve(const pqk_op_data *op, const int8_t *weights,
                                                           const int8_t *x0, const int8_t *x1, const int8_t *x2,
                                                           const int8_t *x3, const int32_t *bias, int8_t *y0,
                                                           int8_t *y1, int8_t *y2, int8_t *y3)
{
    const int32_t depth = op->gemm_depth, whole = depth & ~15;
    const int32_t *mults = op->mults, *shifts = op->shifts;
    const int32_t in_offset = op->in_offset, k = 2 * op->out_offset + 1;
    const int32x4_t vlo = vdupq_n_s32(op->act_min), vhi = vdupq_n_s32(op->act_max);
    const uint32_t offs[4] = {0u, (uint32_t)(y1 - y0), (uint32_t)(y2 - y0), (uint32_t)(y3 - y0)};
    const uint32x4_t voffs = vldrwq_u32(offs);
    const int8_t *w = weights;
    for (int32_t r = 0; r < op->gemm_rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ws = 0;
        const int8_t *p0 = x0, *p1 = x1, *p2 = x2, *p3 = x3;
        for (int32_t d = whole; d > 0; d -= 16, w += 16, p0 += 16, p1 += 16, p2 += 16, p3 += 16) {
            const int8x16_t wv = vldrbq_s8(w);
            ws = vaddvaq_s8(ws, wv);
            a0 = vmladavaq_s8(a0, wv, vldrbq_s8(p0));
            a1 = vmladavaq_s8(a1, wv, vldrbq_s8(p1));
            a2 = vmladavaq_s8(a2, wv, vldrbq_s8(p2));
            a3 = vmladavaq_s8(a3, wv, vldrbq_s8(p3));
        }
        if (whole < depth) {
            const mve_pred16_t p = vctp8q((uint32_t)(depth - whole));
            const int8x16_t wv = vldrbq_z_s8(w, p);
            ws = vaddvaq_s8(ws, wv);
            a0 = vmladavaq_s8(a0, wv, vldrbq_z_s8(p0, p));
            a1 = vmladavaq_s8(a1, wv, vldrbq_z_s8(p1, p));
            a2 = vmladavaq_s8(a2, wv, vldrbq_z_s8(p2, p));
            a3 = vmladavaq_s8(a3, wv, vldrbq_z_s8(p3, p));
            w += depth - whole;
        }
        const uint32_t base = (uint32_t)(bias ? bias[r] : 0) + (uint32_t)in_offset * (uint32_t)ws;
        int32x4_t acc = vdupq_n_s32(a0);
        acc = vsetq_lane_s32(a1, acc, 1), acc = vsetq_lane_s32(a2, acc, 2), acc = vsetq_lane_s32(a3, acc, 3);
        acc = vaddq_n_s32(acc, (int32_t)base);
        const int32x4_t out = pqk_out_short_mve_n(acc, mults[r], shifts[r] + 1, k, vlo, vhi);
        vstrbq_scatter_offset_s32(y0 + r, voffs, out);
    }
}

void pqk_gemm_run_mve(const pqk_op_data *op_in, const int8_t *weights, const int8_t *const *xs, const int32_t *bias,
                      int8_t *const *y)
{
    const pqk_op_data op = *op_in; /* a local copy: the int8 stores cannot alias it, so no reloads */
    if (op.rescale_short) {
        gemm_mve(&op, weights, xs[0], xs[1], xs[2], xs[3], bias, y[0], y[1], y[2], y[3]);
        return;
    }
    /* rare: a multiplier of 1 and above, an accumulator that may pass 2^30, or x86-64 rounding: the general rescale
     * per value */
    for (int32_t r = 0; r < op.gemm_rows; r++) {
        const int8_t *w = weights + (size_t)r * (size_t)op.gemm_depth;
        uint32_t ws = 0, a[4] = {0, 0, 0, 0};
        for (int32_t d = 0; d < op.gemm_depth; d++) {
            ws += (uint32_t)w[d];
            for (int k = 0; k < 4; k++) a[k] += (uint32_t)(w[d] * xs[k][d]);
        }
        const uint32_t base = (uint32_t)(bias ? bias[r] : 0) + (uint32_t)op.in_offset * ws;
        for (int k = 0; k < 4; k++) y[k][r] = pqk_requant_gemm(&op, (int32_t)(base + a[k]), 0, r);
    }
}
#endif
