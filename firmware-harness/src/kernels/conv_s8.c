/* CONV_2D, int8 activations with per-channel int8 or packed int4 weights (TFLite ConvPerChannel arithmetic). */
#include <string.h>

#include "../pqk_features.h"
#include "kernels.h"
#include "simd.h"

static const pqk_conv_fields fields = {.padding = 0, .stride_w = 1, .stride_h = 2, .act = 3, .dil_w = 4, .dil_h = 5};

static pqk_status conv_prepare(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s != PQK_OK) return s;
    if (!w || w->ndims != 4 || in->ndims != 4 || w->dims[3] != in->dims[3] || out->ndims != 4 ||
        w->dims[0] != out->dims[3])
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "filter shape [O,KH,KW,I] does not match input and output");
    const int64_t depth = (int64_t)w->dims[1] * w->dims[2] * w->dims[3];
    if (w->packed_only && !PQK_2OF4)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "weights only in packed 2:4 form need a build with PQK_2OF4");
    s = pqk_weights_bias(ctx, node, 0, w->dims[0], depth);
    if (s == PQK_OK) s = pqk_conv_geometry(ctx, node, &fields);
    if (s != PQK_OK) return s;
    s = pqk_channel_multipliers(ctx, node, in, w, out, w->dims[0], 0);
    if (s != PQK_OK || !pqk_optimized(ctx)) return s;
    /* The optimized paths: weights whose rows are whole words run the GEMM over four pixels' columns, the others
     * gather each receptive field, offset and widened to int16, one column at a time (im2col). */
    if (pqk_gemm_fits((int32_t)depth, w->type == PQK_INT4)) {
        node->op.gemm_rows = w->dims[0];
        node->op.gemm_int4 = w->type == PQK_INT4;
        node->op.gemm_depth = (int32_t)depth;
        node->op.rescale_short = pqk_rescale_short_ok(&node->op, pqk_bias_data(ctx, node), w->dims[0], depth);
        if (PQK_2OF4_S4 && node->op.rescale_short && node->op.gemm_int4 &&
            pqk_rescale_x16_ok(pqk_bias_data(ctx, node), w->dims[0], depth))
            node->op.rescale_short = 2;
        node->scratch_bytes = pqk_gemm_scratch_bytes(w->dims[0], (int32_t)depth, w->type == PQK_INT4);
        /* 2:4 weights with a packed form skip their zeros where that pays (pqk_gemm_2of4_pays) and always when the
         * model has no dense copy. Beside dense weights Helium keeps its faster dense GEMM, but its scratch is sized
         * the same, so that the host plans the arena the device uses. */
        node->op.gemm_2of4 =
            PQK_2OF4 && w->packed24 && (w->packed_only || pqk_gemm_2of4_pays(&node->op, pqk_bias_data(ctx, node)));
        if (node->op.gemm_2of4)
            node->scratch_bytes += pqk_gemm_2of4_col_bytes(w->dims[0], (int32_t)depth) -
                                   pqk_gemm_col_bytes(w->dims[0], (int32_t)depth, w->type == PQK_INT4);
        return PQK_OK;
    }
    node->scratch_bytes = 2u * (uint32_t)depth;
    return PQK_OK;
}

/* One output pixel's receptive field, offset and widened to int16, in filter order (im2col); padding is 0. */
static void gather_pixel(const pqk_op_data *op, const int32_t *dims, const int32_t *wdims, const int8_t *xb, int32_t oy,
                         int32_t ox, int16_t *col)
{
    const int32_t ih = dims[1], iw = dims[2], ic_n = dims[3], kh = wdims[1], kw = wdims[2];
    const int32_t ix0 = ox * op->stride_w - op->pad_w, row_inside = op->dil_w == 1 && ix0 >= 0 && ix0 + kw <= iw;
    for (int32_t ky = 0; ky < kh; ky++) {
        const int32_t iy = oy * op->stride_h - op->pad_h + ky * op->dil_h;
        if (row_inside && iy >= 0 && iy < ih) { /* the row's taps are one contiguous run of the input */
            pqk_offset_to_s16(xb + ((size_t)iy * iw + ix0) * ic_n, op->in_offset, col + ky * kw * ic_n, kw * ic_n);
            continue;
        }
        for (int32_t kx = 0; kx < kw; kx++) {
            const int32_t ix = ox * op->stride_w - op->pad_w + kx * op->dil_w;
            int16_t *dst = col + (ky * kw + kx) * ic_n;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                memset(dst, 0, sizeof(int16_t) * (size_t)ic_n); /* padding adds nothing */
            else
                pqk_offset_to_s16(xb + ((size_t)iy * iw + ix) * ic_n, op->in_offset, dst, ic_n);
        }
    }
}

/* One output pixel's receptive field as int8 in filter order, for the GEMM: a tap in the padding holds the input
 * zero point, which the column's offset turns into 0. */
static void gather_pixel_s8(const pqk_op_data *op, const int32_t *dims, const int32_t *wdims, const int8_t *xb,
                            int32_t oy, int32_t ox, int8_t *col)
{
    const int32_t ih = dims[1], iw = dims[2], ic_n = dims[3], kh = wdims[1], kw = wdims[2];
    const int8_t zp = (int8_t)-op->in_offset;
    const int32_t ix0 = ox * op->stride_w - op->pad_w, row_inside = op->dil_w == 1 && ix0 >= 0 && ix0 + kw <= iw;
    for (int32_t ky = 0; ky < kh; ky++) {
        const int32_t iy = oy * op->stride_h - op->pad_h + ky * op->dil_h;
        int8_t *dst = col + ky * kw * ic_n;
        if (iy < 0 || iy >= ih) {
            memset(dst, zp, (size_t)(kw * ic_n));
        } else if (row_inside) { /* the row's taps are one contiguous run of the input */
            memcpy(dst, xb + ((size_t)iy * iw + ix0) * ic_n, (size_t)(kw * ic_n));
        } else {
            for (int32_t kx = 0; kx < kw; kx++, dst += ic_n) {
                const int32_t ix = ix0 + kx * op->dil_w;
                if (ix < 0 || ix >= iw)
                    memset(dst, zp, (size_t)ic_n);
                else
                    memcpy(dst, xb + ((size_t)iy * iw + ix) * ic_n, (size_t)ic_n);
            }
        }
    }
}

/* Optimized, a depth the GEMM does not take: one im2col column per output pixel, then DSP / MVE dot products, two
 * output channels per pass over the column. */
static void conv_im2col(pqk_ctx *ctx, const pqk_node *node, const pqk_tensor *in, const pqk_tensor *w,
                        const pqk_tensor *out, const int8_t *x, const int32_t *bias, int8_t *y)
{
    const pqk_op_data *op = &node->op;
    int16_t *col = (int16_t *)(void *)(ctx->arena + node->scratch_offset);
    const int32_t depth = w->dims[1] * w->dims[2] * in->dims[3], is_int4 = w->type == PQK_INT4;
    const size_t in_batch = (size_t)in->dims[1] * in->dims[2] * in->dims[3];
    for (int32_t n = 0; n < in->dims[0]; n++) {
        for (int32_t oy = 0; oy < out->dims[1]; oy++) {
            for (int32_t ox = 0; ox < out->dims[2]; ox++) {
                gather_pixel(op, in->dims, w->dims, x + n * in_batch, oy, ox, col);
                pqk_col_finish(col, depth);
                for (int32_t oc = 0; oc < out->dims[3]; oc += 2) {
                    int32_t acc[2];
                    const int32_t pair = oc + 1 < out->dims[3];
                    const uint32_t first = (uint32_t)(oc * depth);
                    pqk_dot2_s8_s16((const int8_t *)w->data, is_int4, first, pair ? first + (uint32_t)depth : first,
                                    col, depth, &acc[0], &acc[1]);
                    for (int32_t k = 0; k <= pair; k++) *y++ = pqk_requant_gemm(op, acc[k], bias, oc + k);
                }
            }
        }
    }
}

static int is_pointwise(const pqk_op_data *op, const pqk_tensor *w)
{
    return w->dims[1] == 1 && w->dims[2] == 1 && op->stride_h == 1 && op->stride_w == 1 && op->pad_h == 0 &&
           op->pad_w == 0;
}

/* Optimized: output pixels in fours through the GEMM. A 1x1 convolution with stride 1 reads its columns straight
 * from the input, others from a gather; the last four, when fewer pixels are left, repeat the last pixel and are
 * written to a scratch block, the pixels that exist copied out of it. */
static void conv_gemm(pqk_ctx *ctx, const pqk_node *node, const pqk_tensor *in, const pqk_tensor *w,
                      const pqk_tensor *out, const int8_t *x, const int32_t *bias, int8_t *y)
{
    const pqk_op_data *op = &node->op;
    const int32_t depth = op->gemm_depth;
    uint32_t *col = (uint32_t *)(void *)(ctx->arena + node->scratch_offset);
    int8_t *tmp = (int8_t *)col + (op->gemm_2of4 ? pqk_gemm_2of4_col_bytes(op->gemm_rows, depth)
                                                 : pqk_gemm_col_bytes(op->gemm_rows, depth, op->gemm_int4));
    int8_t *tail = tmp + depth;
    const int32_t oh = out->dims[1], ow = out->dims[2], oc_n = out->dims[3], ic_n = in->dims[3];
    const int32_t pixels = out->dims[0] * oh * ow, pointwise = is_pointwise(op, w);
    const size_t in_batch = (size_t)in->dims[1] * in->dims[2] * ic_n;
#if defined(PQK_MVE)
    /* Helium: the pixels' int8 inputs in 16-byte (int8 weights) or 32-byte (int4) chunks; weights only in packed form
     * take the 2:4 path */
    const int mve = !w->packed_only;
    int32_t *bases = (int32_t *)(void *)((int8_t *)col + pqk_gemm_mve_col_bytes(depth, op->gemm_int4));
    if (mve) pqk_gemm_bases_mve(op, (const int8_t *)w->data, bias, bases);
#else
    const int mve = 0;
#endif
    const int two_of_four = PQK_2OF4 && !mve && op->gemm_2of4;
    if (!mve) pqk_gemm_rows_begin(op, bias, col);
    for (int32_t j = 0; j < pixels; j += PQK_GEMM_PIXELS) {
        const int32_t whole = j + PQK_GEMM_PIXELS <= pixels;
        int8_t *yj = whole ? y + (size_t)j * oc_n : tail;
        for (int p = 0; p < PQK_GEMM_PIXELS; p++) {
            const int32_t k = j + p < pixels ? j + p : pixels - 1, n = k / (oh * ow), oy = k / ow % oh, ox = k % ow;
            if (!pointwise) gather_pixel_s8(op, in->dims, w->dims, x + n * in_batch, oy, ox, tmp);
            const int8_t *src = pointwise ? x + (size_t)k * ic_n : tmp;
#if defined(PQK_MVE)
            if (mve) {
                pqk_gemm_col_mve(src, depth, p, op->gemm_int4, (int8_t *)col);
                continue;
            }
#endif
            if (two_of_four)
                pqk_gemm_2of4_col(src, op->in_offset, depth, p, col);
            else
                pqk_gemm_col_s8(src, op->in_offset, depth, p, op->gemm_int4, col);
        }
        if (two_of_four) pqk_gemm_2of4_run(op, w->packed24, col, bias, yj, oc_n);
#if defined(PQK_MVE)
        else if (mve)
            pqk_gemm_run_mve(op, (const int8_t *)w->data, (const int8_t *)col, bases, yj, oc_n);
#endif
        else
            pqk_gemm_run(op, (const int8_t *)w->data, col, bias, yj, oc_n);
        (void)mve;
        if (!whole) memcpy(y + (size_t)j * oc_n, tail, (size_t)(pixels - j) * (size_t)oc_n);
    }
}

/* One output pixel's accumulation over the clipped filter window; the taps outside are padding, which adds 0. */
static inline __attribute__((always_inline)) int32_t conv_pixel(const pqk_op_data *op, const int8_t *x, const int8_t *w,
                                                                int is_int4, int packed, int32_t oc,
                                                                const int32_t *dims, const int32_t *wdims, int32_t iy0,
                                                                int32_t ix0)
{
    const int32_t iw = dims[2], ic_n = dims[3], kh = wdims[1], kw = wdims[2];
    int32_t ky0, ky1, kx0, kx1, acc = 0;
    pqk_tap_range(iy0, op->dil_h, dims[1], kh, &ky0, &ky1);
    pqk_tap_range(ix0, op->dil_w, iw, kw, &kx0, &kx1);
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int32_t iy = iy0 + ky * op->dil_h;
        for (int32_t kx = kx0; kx < kx1; kx++) {
            const int32_t ix = ix0 + kx * op->dil_w;
            const int8_t *xp = x + ((size_t)iy * iw + ix) * ic_n;
            const uint32_t wbase = (((uint32_t)oc * kh + ky) * kw + kx) * ic_n;
            if (packed) { /* weight d of row oc in its packed form */
                const uint8_t *row = (const uint8_t *)w + (size_t)oc * pqk_2of4_row_bytes(kh * kw * ic_n, is_int4);
                const uint32_t d0 = (uint32_t)(ky * kw + kx) * (uint32_t)ic_n;
                if (ic_n % 4 == 0) { /* whole groups of four: their two weights against the inputs they name */
                    for (int32_t ic = 0; ic < ic_n; ic += 4) {
                        int32_t at[2], wv[2];
                        pqk_2of4_group(row, d0 + (uint32_t)ic, is_int4, at, wv);
                        acc += wv[0] * (xp[ic + at[0]] + op->in_offset) + wv[1] * (xp[ic + at[1]] + op->in_offset);
                    }
                    continue;
                }
                for (int32_t ic = 0; ic < ic_n; ic++)
                    acc += pqk_2of4_weight(row, d0 + (uint32_t)ic, is_int4) * (xp[ic] + op->in_offset);
                continue;
            }
            for (int32_t ic = 0; ic < ic_n; ic++) acc += pqk_weight(w, is_int4, wbase + ic) * (xp[ic] + op->in_offset);
        }
    }
    return acc;
}

static inline __attribute__((always_inline)) void conv_run(const pqk_op_data *op, const pqk_tensor *in,
                                                           const pqk_tensor *w, const pqk_tensor *out, const int8_t *x,
                                                           const int32_t *bias, int8_t *y, int is_int4, int packed)
{
    const int32_t oh = out->dims[1], ow = out->dims[2], oc_n = out->dims[3];
    const size_t in_batch = (size_t)in->dims[1] * in->dims[2] * in->dims[3];
    for (int32_t n = 0; n < in->dims[0]; n++) {
        const int8_t *xb = x + n * in_batch;
        for (int32_t oy = 0; oy < oh; oy++) {
            for (int32_t ox = 0; ox < ow; ox++) {
                const int32_t iy0 = oy * op->stride_h - op->pad_h, ix0 = ox * op->stride_w - op->pad_w;
                for (int32_t oc = 0; oc < oc_n; oc++) {
                    const int32_t acc =
                        conv_pixel(op, xb, (const int8_t *)w->data, is_int4, packed, oc, in->dims, w->dims, iy0, ix0);
                    *y++ = pqk_requant_gemm(op, acc, bias, oc);
                }
            }
        }
    }
}

static pqk_status conv_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, in);
    const int32_t *bias = pqk_bias_data(ctx, node);
    int8_t *y = pqk_tensor_data(ctx, out);
    if (pqk_optimized(ctx) && node->op.gemm_rows > 0)
        conv_gemm(ctx, node, in, w, out, x, bias, y);
    else if (pqk_optimized(ctx))
        conv_im2col(ctx, node, in, w, out, x, bias, y);
    else if (PQK_2OF4 && w->packed_only) /* the weights only in packed 2:4 form (a bundle's device form) */
        conv_run(&node->op, in, w, out, x, bias, y, w->type == PQK_INT4, 1);
    else if (w->type == PQK_INT4)
        conv_run(&node->op, in, w, out, x, bias, y, 1, 0);
    else
        conv_run(&node->op, in, w, out, x, bias, y, 0, 0);
    return PQK_OK;
}

const pqk_kernel pqk_kernel_conv_s8 = {PQK_OP_CONV_2D, "CONV_2D", conv_prepare, conv_eval};
