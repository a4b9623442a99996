/* DEPTHWISE_CONV_2D, int8 activations with per-channel int8 or packed int4 weights (DepthwiseConvPerChannel). */
#include <string.h>

#include "kernels.h"
#include "simd.h"

static const pqk_conv_fields fields = {.padding = 0, .stride_w = 1, .stride_h = 2, .act = 4, .dil_w = 5, .dil_h = 6};
enum { OPT_MULT = 3 };
/* op->variant of the unrolled 3x3 paths; DW_3X3_NO_MIN: int8 weights none of which is -128 */
enum { DW_3X3 = 1, DW_3X3_INT4 = 2, DW_3X3_NO_MIN = 3 };

static pqk_status dw_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s != PQK_OK) return s;
    op->depth_mult = fb_i32(&ctx->fb, node->options, OPT_MULT, 0);
    if (!w || w->ndims != 4 || in->ndims != 4 || out->ndims != 4 || w->dims[0] != 1 || op->depth_mult <= 0 ||
        (int64_t)w->dims[3] != (int64_t)in->dims[3] * op->depth_mult || out->dims[3] != w->dims[3])
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "filter shape [1,KH,KW,C*mult] does not match input and output");
    s = pqk_weights_bias(ctx, node, 3, w->dims[3], (int64_t)w->dims[1] * w->dims[2]);
    if (s == PQK_OK) s = pqk_conv_geometry(ctx, node, &fields);
    if (s != PQK_OK) return s;
    s = pqk_channel_multipliers(ctx, node, in, w, out, w->dims[3], 0);
    if (s != PQK_OK || !pqk_optimized(ctx)) return s;
    /* One pixel's accumulators; or for the 3x3 path, the channels' starting sums and the row of the input zero
     * point that taps in the padding read. */
    node->scratch_bytes = 4u * (uint32_t)w->dims[3];
    op->rescale_short = pqk_rescale_short_ok(op, pqk_bias_data(ctx, node), w->dims[3], 9);
    if (op->depth_mult == 1 && w->dims[1] == 3 && w->dims[2] == 3 && w->dims[3] % 4 == 0 && op->rescale_short) {
        op->variant = w->type == PQK_INT4 ? DW_3X3_INT4 : DW_3X3;
        node->scratch_bytes = pqk_dw3x3_scratch_bytes(op, w->dims[3], op->variant == DW_3X3_INT4);
        if (op->variant == DW_3X3 && !memchr(w->data, 0x80, 9u * (uint32_t)w->dims[3])) op->variant = DW_3X3_NO_MIN;
    }
    return PQK_OK;
}

static inline __attribute__((always_inline)) void dw_run(const pqk_op_data *op, const pqk_tensor *in,
                                                         const pqk_tensor *w, const pqk_tensor *out, const int8_t *x,
                                                         const int32_t *bias, int8_t *y, int is_int4)
{
    const int32_t ih = in->dims[1], iw = in->dims[2], ic_n = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], oc_n = out->dims[3], mult = op->depth_mult;
    const int8_t *wd = (const int8_t *)w->data;
    for (int32_t n = 0; n < in->dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * ic_n;
        for (int32_t oy = 0; oy < out->dims[1]; oy++) {
            for (int32_t ox = 0; ox < out->dims[2]; ox++) {
                const int32_t iy0 = oy * op->stride_h - op->pad_h, ix0 = ox * op->stride_w - op->pad_w;
                int32_t ky0, ky1, kx0, kx1;
                pqk_tap_range(iy0, op->dil_h, ih, kh, &ky0, &ky1);
                pqk_tap_range(ix0, op->dil_w, iw, kw, &kx0, &kx1);
                for (int32_t oc = 0; oc < oc_n; oc++) {
                    const int32_t ic = oc / mult;
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const int32_t iy = iy0 + ky * op->dil_h;
                        for (int32_t kx = kx0; kx < kx1; kx++) {
                            const int32_t ix = ix0 + kx * op->dil_w;
                            const int32_t xv = xb[((size_t)iy * iw + ix) * ic_n + ic] + op->in_offset;
                            acc += pqk_weight(wd, is_int4, ((uint32_t)ky * kw + kx) * oc_n + oc) * xv;
                        }
                    }
                    *y++ = pqk_requant_ref(op, bias ? pqk_add_wrap(acc, bias[oc]) : acc, oc);
                }
            }
        }
    }
}

/* Optimized: channels innermost, so every tap is a contiguous run over input and weights; accumulators wrap
 * modulo 2^32 exactly as the int32 sums of the plain path do. */
static inline __attribute__((always_inline)) void dw_pixel(const pqk_op_data *op, const int8_t *xp, const int8_t *wd,
                                                           uint32_t wbase, uint32_t *acc, int32_t ic_n, int32_t mult,
                                                           int is_int4)
{
    if (mult == 1) {
        for (int32_t c = 0; c < ic_n; c++)
            acc[c] += (uint32_t)(pqk_weight(wd, is_int4, wbase + c) * (xp[c] + op->in_offset));
        return;
    }
    for (int32_t ic = 0; ic < ic_n; ic++) {
        const int32_t xv = xp[ic] + op->in_offset;
        for (int32_t m = 0; m < mult; m++)
            acc[ic * mult + m] += (uint32_t)(pqk_weight(wd, is_int4, wbase + ic * mult + m) * xv);
    }
}

#if defined(PQK_MVE)
/* Four channels per vector: int8 loads widened to 32-bit lanes, offset added, multiply-accumulate. */
static int32_t dw_group4(const int8_t *xp, const int8_t *wp, int32_t n_taps, const int32_t *xoff, const int32_t *woff,
                         int32_t in_offset, uint32_t *acc)
{
    int32x4_t a = vreinterpretq_s32_u32(vldrwq_u32(acc));
    for (int32_t t = 0; t < n_taps; t++) {
        const int32x4_t xv = vaddq_n_s32(vldrbq_s32(xp + xoff[t]), in_offset);
        a = vaddq_s32(a, vmulq_s32(vldrbq_s32(wp + woff[t]), xv));
    }
    vstrwq_u32(acc, vreinterpretq_u32_s32(a));
    return 4;
}
#elif defined(PQK_DSP)
/* Four channels per step: SXTB16 splits even and odd channels into halfword pairs, SADD16 adds the offset to both,
 * SMLABB / SMLATT accumulate each channel on its own. */
static int32_t dw_group4(const int8_t *xp, const int8_t *wp, int32_t n_taps, const int32_t *xoff, const int32_t *woff,
                         int32_t in_offset, uint32_t *acc)
{
    const uint32_t off2 = ((uint32_t)in_offset & 0xffffu) | ((uint32_t)in_offset << 16);
    int32_t a0 = (int32_t)acc[0], a1 = (int32_t)acc[1], a2 = (int32_t)acc[2], a3 = (int32_t)acc[3];
    for (int32_t t = 0; t < n_taps; t++) {
        const uint32_t x4 = pqk_load_u32(xp + xoff[t]), w4 = pqk_load_u32(wp + woff[t]);
        const uint32_t xe = pqk_sadd16(pqk_sxtb16(x4), off2), xo = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
        const uint32_t we = pqk_sxtb16(w4), wo = pqk_sxtb16_ror8(w4);
        a0 = pqk_smlabb(we, xe, a0);
        a2 = pqk_smlatt(we, xe, a2);
        a1 = pqk_smlabb(wo, xo, a1);
        a3 = pqk_smlatt(wo, xo, a3);
    }
    acc[0] = (uint32_t)a0, acc[1] = (uint32_t)a1, acc[2] = (uint32_t)a2, acc[3] = (uint32_t)a3;
    return 4;
}
#else
static int32_t dw_group4(const int8_t *xp, const int8_t *wp, int32_t n_taps, const int32_t *xoff, const int32_t *woff,
                         int32_t in_offset, uint32_t *acc)
{
    (void)xp, (void)wp, (void)n_taps, (void)xoff, (void)woff, (void)in_offset, (void)acc;
    return 0; /* no vector path: the caller's scalar loop does every channel */
}
#endif

#if defined(PQK_DSP)
/* int4 weights: two bytes hold channels c..c+3; each nibble is placed as nibble << 4 in a byte SXTB16 widens, so
 * the products come out x16 and are scaled back exactly after the taps. */
static int32_t dw_group4_int4(const int8_t *xp, const uint8_t *wp, int32_t n_taps, const int32_t *xoff,
                              const int32_t *woff, int32_t in_offset, uint32_t *acc)
{
    const uint32_t off2 = ((uint32_t)in_offset & 0xffffu) | ((uint32_t)in_offset << 16);
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t t = 0; t < n_taps; t++) {
        const uint32_t x4 = pqk_load_u32(xp + xoff[t]);
        const uint8_t *wb = wp + (woff[t] >> 1);
        const uint32_t h = (uint32_t)wb[0] | ((uint32_t)wb[1] << 8);
        const uint32_t we = pqk_sxtb16(((h & 0x000fu) << 4) | ((h & 0x0f00u) << 12));
        const uint32_t wo = pqk_sxtb16((h & 0x00f0u) | ((h & 0xf000u) << 8));
        const uint32_t xe = pqk_sadd16(pqk_sxtb16(x4), off2), xo = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
        a0 = pqk_smlabb(we, xe, a0);
        a2 = pqk_smlatt(we, xe, a2);
        a1 = pqk_smlabb(wo, xo, a1);
        a3 = pqk_smlatt(wo, xo, a3);
    }
    acc[0] += (uint32_t)(a0 >> 4), acc[1] += (uint32_t)(a1 >> 4), acc[2] += (uint32_t)(a2 >> 4),
        acc[3] += (uint32_t)(a3 >> 4);
    return 4;
}
#else
static int32_t dw_group4_int4(const int8_t *xp, const uint8_t *wp, int32_t n_taps, const int32_t *xoff,
                              const int32_t *woff, int32_t in_offset, uint32_t *acc)
{
    (void)xp, (void)wp, (void)n_taps, (void)xoff, (void)woff, (void)in_offset, (void)acc;
    return 0;
}
#endif

#define PQK_DW_MAX_TAPS 64

/* Multiplier 1 (and an even channel count for int4): the valid taps of a pixel listed once, then channel groups
 * of four run through them. */
static int dw_pixel_vector(const pqk_op_data *op, const int8_t *xb, const int8_t *wd, const pqk_tensor *in,
                           const pqk_tensor *w, int32_t oy, int32_t ox, uint32_t *acc, int is_int4)
{
    int32_t xoff[PQK_DW_MAX_TAPS], woff[PQK_DW_MAX_TAPS], n_taps = 0;
    const int32_t ih = in->dims[1], iw = in->dims[2], c_n = in->dims[3], kh = w->dims[1], kw = w->dims[2];
    if (kh * kw > PQK_DW_MAX_TAPS) return 0;
    for (int32_t ky = 0; ky < kh; ky++) {
        const int32_t iy = oy * op->stride_h - op->pad_h + ky * op->dil_h;
        for (int32_t kx = 0; iy >= 0 && iy < ih && kx < kw; kx++) {
            const int32_t ix = ox * op->stride_w - op->pad_w + kx * op->dil_w;
            if (ix < 0 || ix >= iw) continue;
            xoff[n_taps] = (iy * iw + ix) * c_n;
            woff[n_taps++] = (ky * kw + kx) * c_n;
        }
    }
    int32_t c = 0;
    for (int32_t step = 4; step == 4 && c + 4 <= c_n; c += step)
        step = is_int4 ? dw_group4_int4(xb + c, (const uint8_t *)wd + c / 2, n_taps, xoff, woff, op->in_offset, acc + c)
                       : dw_group4(xb + c, wd + c, n_taps, xoff, woff, op->in_offset, acc + c);
    for (; c < c_n; c++)
        for (int32_t t = 0; t < n_taps; t++)
            acc[c] += (uint32_t)(pqk_weight(wd, is_int4, (uint32_t)(woff[t] + c)) * (xb[xoff[t] + c] + op->in_offset));
    return 1;
}

/* 3x3, multiplier 1: every output pixel through the unrolled taps. */
static void dw3x3_run(pqk_ctx *ctx, const pqk_node *node, const pqk_tensor *in, const pqk_tensor *w,
                      const pqk_tensor *out, const int8_t *x, const int32_t *bias, int8_t *y)
{
    pqk_dw3x3_run(&node->op, x, in->dims, out->dims, (const int8_t *)w->data, bias, node->op.variant == DW_3X3_INT4,
                  node->op.variant == DW_3X3_NO_MIN, ctx->arena + node->scratch_offset, y);
}

static inline __attribute__((always_inline)) void dw_channels_inner(pqk_ctx *ctx, const pqk_node *node,
                                                                    const pqk_tensor *in, const pqk_tensor *w,
                                                                    const pqk_tensor *out, const int8_t *x,
                                                                    const int32_t *bias, int8_t *y, int is_int4)
{
    const pqk_op_data *op = &node->op;
    uint32_t *acc = (uint32_t *)(void *)(ctx->arena + node->scratch_offset);
    const int32_t ih = in->dims[1], iw = in->dims[2], ic_n = in->dims[3], kh = w->dims[1], kw = w->dims[2];
    const int32_t oc_n = out->dims[3];
    for (int32_t n = 0; n < in->dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * ic_n;
        for (int32_t oy = 0; oy < out->dims[1]; oy++) {
            for (int32_t ox = 0; ox < out->dims[2]; ox++) {
                for (int32_t oc = 0; oc < oc_n; oc++) acc[oc] = bias ? (uint32_t)bias[oc] : 0u;
                const int vector = op->depth_mult == 1 && (!is_int4 || ic_n % 2 == 0) &&
                                   dw_pixel_vector(op, xb, (const int8_t *)w->data, in, w, oy, ox, acc, is_int4);
                for (int32_t ky = 0; !vector && ky < kh; ky++) {
                    const int32_t iy = oy * op->stride_h - op->pad_h + ky * op->dil_h;
                    if (iy < 0 || iy >= ih) continue;
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t ix = ox * op->stride_w - op->pad_w + kx * op->dil_w;
                        if (ix < 0 || ix >= iw) continue;
                        dw_pixel(op, xb + ((size_t)iy * iw + ix) * ic_n, (const int8_t *)w->data,
                                 (uint32_t)((ky * kw + kx) * oc_n), acc, ic_n, op->depth_mult, is_int4);
                    }
                }
                for (int32_t oc = 0; oc < oc_n; oc++) *y++ = pqk_requant_ref(op, (int32_t)acc[oc], oc);
            }
        }
    }
}

static pqk_status dw_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, in);
    const int32_t *bias = pqk_bias_data(ctx, node);
    int8_t *y = pqk_tensor_data(ctx, out);
    if (pqk_optimized(ctx) && node->op.variant != 0)
        dw3x3_run(ctx, node, in, w, out, x, bias, y);
    else if (pqk_optimized(ctx) && w->type == PQK_INT4)
        dw_channels_inner(ctx, node, in, w, out, x, bias, y, 1);
    else if (pqk_optimized(ctx))
        dw_channels_inner(ctx, node, in, w, out, x, bias, y, 0);
    else if (w->type == PQK_INT4)
        dw_run(&node->op, in, w, out, x, bias, y, 1);
    else
        dw_run(&node->op, in, w, out, x, bias, y, 0);
    return PQK_OK;
}

const pqk_kernel pqk_kernel_depthwise_conv_s8 = {PQK_OP_DEPTHWISE_CONV_2D, "DEPTHWISE_CONV_2D", dw_prepare, dw_eval};
