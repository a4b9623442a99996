/* The optimized DEPTHWISE_CONV_2D path for a 3x3 filter, multiplier 1, int8 or int4 weights and a channel count that
 * is a multiple of 4: the taps are unrolled; each tap reads one word of four input channels and their four weights
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

/* Channel c's output value, its rescale taking pqk_rescale_right. */
static inline __attribute__((always_inline)) int8_t dw_out(const pqk_op_data *op, int32_t acc, int32_t c,
                                                           int full_range)
{
    const int32_t right = -op->shifts[c], mask = (int32_t)((1u << right) - 1u);
    const int32_t q = pqk_rescale_right(acc, op->mults[c], right, mask) + op->out_offset;
    return pqk_clamp_out(q, full_range, op->act_min, op->act_max);
}

/* One output pixel, all channels: taps[t] points at channel 0 of tap t (row-major), or at a row of the input zero
 * point for a tap in the padding. `fast`: every channel's rescale is pqk_rescale_right's case; `full_range`: the output
 * clamp is the whole int8 range, one SSAT. */
static inline __attribute__((always_inline)) void dw3x3_pixel(const pqk_op_data *op, const int8_t *const *taps,
                                                              int32_t c_n, const int8_t *w, const int32_t *start,
                                                              int8_t *y, int is_int4, int fast, int full_range)
{
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
        if (fast) {
            y[c] = dw_out(op, a0, c, full_range), y[c + 1] = dw_out(op, a1, c + 1, full_range);
            y[c + 2] = dw_out(op, a2, c + 2, full_range), y[c + 3] = dw_out(op, a3, c + 3, full_range);
        } else {
            y[c] = pqk_requant_ref(op, a0, c), y[c + 1] = pqk_requant_ref(op, a1, c + 1);
            y[c + 2] = pqk_requant_ref(op, a2, c + 2), y[c + 3] = pqk_requant_ref(op, a3, c + 3);
        }
    }
}

void pqk_dw3x3_pixel(const pqk_op_data *op_in, const int8_t *const *taps, int32_t c_n, const int8_t *w, int is_int4,
                     const int32_t *start, int8_t *y)
{
    const pqk_op_data op = *op_in; /* int8 stores cannot alias a local: no reloads */
    const int full_range = op.act_min == -128 && op.act_max == 127;
    if (op.rescale_fast && full_range)
        is_int4 ? dw3x3_pixel(&op, taps, c_n, w, start, y, 1, 1, 1) : dw3x3_pixel(&op, taps, c_n, w, start, y, 0, 1, 1);
    else if (op.rescale_fast)
        is_int4 ? dw3x3_pixel(&op, taps, c_n, w, start, y, 1, 1, 0) : dw3x3_pixel(&op, taps, c_n, w, start, y, 0, 1, 0);
    else
        dw3x3_pixel(&op, taps, c_n, w, start, y, is_int4, 0, 0);
}
