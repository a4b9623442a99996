/* The GEMM of the optimized CONV_2D path for int8 weights: weights widened once (Prepare) to int16 pairs, two
 * output pixels' columns of offset int16 pairs, and a 2x2 block kernel (two output channels x two pixels) in which
 * every loaded word feeds two SMLADs (two 16-bit MACs each). The int32 sums are exact, so any summation order
 * gives the plain path's accumulator.
 *
 * Pair q of a depth (padded with zeros to a multiple of PQK_GEMM_DEPTH_STEP) holds elements (4g, 4g+2) when
 * q = 2g and (4g+1, 4g+3) when q = 2g+1: the order SXTB16 unpacks a word of four int8 values in. */
#include <string.h>

#include "kernels.h"
#include "simd.h"

static inline uint32_t pack16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }

int32_t pqk_gemm_depth_pad(int32_t depth)
{
    return (depth + PQK_GEMM_DEPTH_STEP - 1) & ~(PQK_GEMM_DEPTH_STEP - 1);
}

/* Element i of pixel p in a two-pixel column: pair ((i >> 2) << 1) | (i & 1), half (i >> 1) & 1. Written with
 * memcpy since the column is read as words. */
static inline void col_put(uint32_t *col, int32_t i, int p, int32_t v)
{
    const int16_t h = (int16_t)v;
    const int32_t pair = ((i >> 2) << 1) | (i & 1);
    memcpy((int16_t *)(void *)col + (pair * 2 + p) * 2 + ((i >> 1) & 1), &h, sizeof h);
}

pqk_status pqk_gemm_prepare(pqk_ctx *ctx, pqk_node *node, const int8_t *w, int32_t rows, int32_t depth)
{
    pqk_op_data *op = &node->op;
    const int32_t pad = pqk_gemm_depth_pad(depth), blocks = (rows + 1) / 2;
    uint32_t *wide = pqk_alloc_persistent(ctx, sizeof(uint32_t) * (size_t)blocks * (size_t)pad);
    if (!wide) return pqk_fail(ctx, node, PQK_ERR_ARENA, "arena too small for widened weights");
    for (int32_t b = 0; b < blocks; b++) {
        for (int32_t q = 0; q < pad / 2; q++) {
            for (int32_t r = 0; r < 2; r++) {
                const int32_t row = 2 * b + r, i0 = ((q >> 1) << 2) | (q & 1), i1 = i0 + 2;
                const int32_t lo = row < rows && i0 < depth ? w[(size_t)row * depth + i0] : 0;
                const int32_t hi = row < rows && i1 < depth ? w[(size_t)row * depth + i1] : 0;
                wide[((size_t)b * (pad / 2) + q) * 2 + r] = pack16(lo, hi);
            }
        }
    }
    op->wide = wide;
    op->gemm_rows = rows;
    op->gemm_depth = depth;
    return PQK_OK;
}

/* Pixel p (0 or 1) of a two-pixel column from natural-order int16 values (offset applied); n may be short of the
 * padded depth, the rest is zero. */
void pqk_gemm_col_s16(const int16_t *x, int32_t n, int32_t depth, int p, uint32_t *col)
{
    const int32_t pad = pqk_gemm_depth_pad(depth);
    int32_t g = 0;
    for (; 4 * g + 4 <= n; g++) { /* (x0, x1), (x2, x3) -> (x0, x2), (x1, x3) */
        const uint32_t x01 = pqk_load_u32(x + 4 * g), x23 = pqk_load_u32(x + 4 * g + 2);
        col[4 * g + p] = (x01 & 0xffffu) | (x23 << 16);
        col[4 * g + 2 + p] = (x01 >> 16) | (x23 & 0xffff0000u);
    }
    for (int32_t i = 4 * g; i < pad; i++) col_put(col, i, p, i < n ? x[i] : 0);
}

/* Pixel p of a two-pixel column straight from int8 values: four at a time, widened and offset in pairs. */
void pqk_gemm_col_s8(const int8_t *x, int32_t offset, int32_t depth, int p, uint32_t *col)
{
    const int32_t full = depth & ~3, pad = pqk_gemm_depth_pad(depth);
    const uint32_t off2 = pack16(offset, offset);
    int32_t g = 0;
    for (; 4 * g < full; g++) {
        const uint32_t x4 = pqk_load_u32(x + 4 * g);
        col[4 * g + p] = pqk_sadd16(pqk_sxtb16(x4), off2);
        col[4 * g + 2 + p] = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
    }
    for (int32_t i = 4 * g; i < pad; i++) col_put(col, i, p, i < depth ? x[i] + offset : 0);
}

#if defined(PQK_DSP)
/* Two pairs of both pixels (one LDM) against two pairs of both rows (two LDRD): eight SMLADs, 16 MACs. Written
 * out because the compiler otherwise loads every operand of an unrolled step first and spills accumulators. */
#define PQK_BLOCK_STEP()                                                                                               \
    __asm__("ldm %[x]!, {r8, r9, r10, r11}\n\t"                                                                        \
            "ldrd r12, lr, [%[w]], #8\n\t"                                                                             \
            "smlad %[a0], r12, r8, %[a0]\n\t"                                                                          \
            "smlad %[a1], r12, r9, %[a1]\n\t"                                                                          \
            "smlad %[b0], lr, r8, %[b0]\n\t"                                                                           \
            "smlad %[b1], lr, r9, %[b1]\n\t"                                                                           \
            "ldrd r12, lr, [%[w]], #8\n\t"                                                                             \
            "smlad %[a0], r12, r10, %[a0]\n\t"                                                                         \
            "smlad %[a1], r12, r11, %[a1]\n\t"                                                                         \
            "smlad %[b0], lr, r10, %[b0]\n\t"                                                                          \
            "smlad %[b1], lr, r11, %[b1]"                                                                              \
            : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [x] "+r"(x), [w] "+r"(w)                     \
            :                                                                                                          \
            : "r8", "r9", "r10", "r11", "r12", "lr", "memory")
#else
#define PQK_BLOCK_STEP()                                                                                               \
    do {                                                                                                               \
        for (int k = 0; k < 2; k++, x += 2, w += 2) {                                                                  \
            a0 = pqk_smlad(w[0], x[0], a0);                                                                             \
            a1 = pqk_smlad(w[0], x[1], a1);                                                                             \
            b0 = pqk_smlad(w[1], x[0], b0);                                                                             \
            b1 = pqk_smlad(w[1], x[1], b1);                                                                             \
        }                                                                                                              \
    } while (0)
#endif

/* Two rows x two pixels over the padded depth, four pairs per step. */
static inline void block_2x2(const uint32_t *w, const uint32_t *x, int32_t pairs, int32_t *acc)
{
    int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0; /* row 0 / row 1, pixel 0 / pixel 1 */
    for (const uint32_t *end = x + 2 * pairs; x < end;) {
        PQK_BLOCK_STEP();
        PQK_BLOCK_STEP();
    }
    acc[0] = a0, acc[1] = a1, acc[2] = b0, acc[3] = b1;
}

void pqk_gemm_run(const pqk_op_data *op_in, const uint32_t *col, const int32_t *bias, int8_t *y0, int8_t *y1)
{
    const pqk_op_data op = *op_in; /* a local copy: the int8 stores below cannot alias it, so no reloads */
    const int32_t pad = pqk_gemm_depth_pad(op.gemm_depth), rows = op.gemm_rows;
    const uint32_t *w = op.wide;
    for (int32_t r = 0; r < rows; r += 2, w += pad) {
        int32_t acc[4];
        block_2x2(w, col, pad / 2, acc);
        y0[r] = pqk_requant_gemm(&op, acc[0], bias, r);
        y1[r] = pqk_requant_gemm(&op, acc[1], bias, r);
        if (r + 1 == rows) break;
        y0[r + 1] = pqk_requant_gemm(&op, acc[2], bias, r + 1);
        y1[r + 1] = pqk_requant_gemm(&op, acc[3], bias, r + 1);
    }
}
