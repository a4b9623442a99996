/* The optimized DEPTHWISE_CONV_2D path for a 3x3 filter, multiplier 1 and int8 weights: the taps are unrolled, weights were widened at Prepare to int16 pairs of
 * channels (c, c+2) and (c+1, c+3), the order SXTB16 splits an input word in, and each channel accumulates on its
 * own with SMLABB / SMLATT. Taps in the padding read the input zero point, which the offset turns into 0. Sums wrap modulo 2^32 as the plain path's int32 sums do. */
#include "kernels.h"
#include "simd.h"

static inline uint32_t pack16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }

/* Per group of four channels: nine taps of two words, then the four starting sums bias + in_offset * sum(w). */
pqk_status pqk_dw3x3_prepare(pqk_ctx *ctx, pqk_node *node, const int8_t *w, const int32_t *bias, int32_t c_n)
{
    const int32_t groups = c_n / 4;
    if (groups == 0) return PQK_OK;
    uint32_t *wide = pqk_alloc_persistent(ctx, sizeof(uint32_t) * PQK_DW3X3_GROUP_WORDS * (size_t)groups);
    if (!wide) return pqk_fail(ctx, node, PQK_ERR_ARENA, "arena too small for widened weights");
    for (int32_t g = 0; g < groups; g++) {
        uint32_t *wg = wide + PQK_DW3X3_GROUP_WORDS * g;
        for (int32_t k = 0; k < 4; k++) wg[18 + k] = bias ? (uint32_t)bias[4 * g + k] : 0u;
        for (int32_t t = 0; t < 9; t++) {
            const int8_t *wt = w + (size_t)t * c_n + 4 * g;
            wg[2 * t] = pack16(wt[0], wt[2]);
            wg[2 * t + 1] = pack16(wt[1], wt[3]);
            for (int32_t k = 0; k < 4; k++) wg[18 + k] += (uint32_t)(node->op.in_offset * wt[k]);
        }
    }
    node->op.wide = wide;
    return PQK_OK;
}

#define PQK_DW_TAP(t, ptr)                                                                                             \
    do {                                                                                                               \
        const uint32_t x4 = pqk_load_u32(ptr);                                                                         \
        const uint32_t xe = pqk_sxtb16(x4), xo = pqk_sxtb16_ror8(x4);                                                  \
        const uint32_t we = wg[2 * (t)], wo = wg[2 * (t) + 1];                                                         \
        a0 = pqk_smlabb(we, xe, a0);                                                                                   \
        a2 = pqk_smlatt(we, xe, a2);                                                                                   \
        a1 = pqk_smlabb(wo, xo, a1);                                                                                   \
        a3 = pqk_smlatt(wo, xo, a3);                                                                                   \
        __asm__ volatile("" ::: "memory"); /* keeps each tap's loads with its MACs instead of all hoisted, spilled */   \
    } while (0)

/* One output pixel, all channels: taps[t] points at channel 0 of tap t (row-major), or at a row of the input zero
 * point for a tap in the padding, which then adds 0 like the plain path's skipped tap. */
void pqk_dw3x3_pixel(const pqk_op_data *op_in, const int8_t *const *taps, int32_t c_n, const int8_t *w,
                     const int32_t *bias, int8_t *y)
{
    const pqk_op_data op_copy = *op_in, *op = &op_copy; /* int8 stores cannot alias a local: no reloads */
    const uint32_t *wg = op->wide;
    int32_t c = 0;
    for (; c + 4 <= c_n; c += 4, wg += PQK_DW3X3_GROUP_WORDS) {
        int32_t a0 = (int32_t)wg[18], a1 = (int32_t)wg[19], a2 = (int32_t)wg[20], a3 = (int32_t)wg[21];
        PQK_DW_TAP(0, taps[0] + c);
        PQK_DW_TAP(1, taps[1] + c);
        PQK_DW_TAP(2, taps[2] + c);
        PQK_DW_TAP(3, taps[3] + c);
        PQK_DW_TAP(4, taps[4] + c);
        PQK_DW_TAP(5, taps[5] + c);
        PQK_DW_TAP(6, taps[6] + c);
        PQK_DW_TAP(7, taps[7] + c);
        PQK_DW_TAP(8, taps[8] + c);
        y[c] = pqk_requant_ref(op, a0, c);
        y[c + 1] = pqk_requant_ref(op, a1, c + 1);
        y[c + 2] = pqk_requant_ref(op, a2, c + 2);
        y[c + 3] = pqk_requant_ref(op, a3, c + 3);
    }
    for (; c < c_n; c++) { /* the channels left over from groups of four */
        uint32_t acc = bias ? (uint32_t)bias[c] : 0u;
        for (int32_t t = 0; t < 9; t++) acc += (uint32_t)(w[t * c_n + c] * (taps[t][c] + op->in_offset));
        y[c] = pqk_requant_ref(op, (int32_t)acc, c);
    }
}
