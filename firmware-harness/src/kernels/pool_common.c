/* AVERAGE_POOL_2D and MAX_POOL_2D share Prepare (Pool2DOptions, window, activation range) and the window walk. */
#include "kernels.h"
#include "simd.h"

enum { OPT_PADDING = 0, OPT_STRIDE_W = 1, OPT_STRIDE_H = 2, OPT_FILTER_W = 3, OPT_FILTER_H = 4, OPT_ACT = 5 };

pqk_status pqk_pool_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    fb_buf *b = &ctx->fb;
    pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s != PQK_OK) return s;
    if (in->ndims != 4 || out->ndims != 4 || in->dims[3] != out->dims[3])
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "input and output must be NHWC with equal channels");
    op->stride_w = fb_i32(b, node->options, OPT_STRIDE_W, 0);
    op->stride_h = fb_i32(b, node->options, OPT_STRIDE_H, 0);
    op->dil_w = op->dil_h = 1;
    s = pqk_window(ctx, node, in, out, fb_u8(b, node->options, OPT_PADDING, 0),
                   fb_i32(b, node->options, OPT_FILTER_H, 0), fb_i32(b, node->options, OPT_FILTER_W, 0));
    if (s != PQK_OK) return s;
    return pqk_activation_range(ctx, node, fb_u8(b, node->options, OPT_ACT, 0), out, &op->act_min, &op->act_max);
}

/* One output pixel's valid window: [y0, y1) x [x0, x1) in input coordinates. */
static void pool_window(const pqk_op_data *op, const pqk_tensor *in, int32_t oy, int32_t ox, int32_t *y0, int32_t *y1,
                        int32_t *x0, int32_t *x1)
{
    const int32_t iy0 = oy * op->stride_h - op->pad_h, ix0 = ox * op->stride_w - op->pad_w;
    *y0 = iy0 > 0 ? iy0 : 0;
    *x0 = ix0 > 0 ? ix0 : 0;
    *y1 = iy0 + op->filter_h < in->dims[1] ? iy0 + op->filter_h : in->dims[1];
    *x1 = ix0 + op->filter_w < in->dims[2] ? ix0 + op->filter_w : in->dims[2];
}

static inline int8_t avg_of(const pqk_op_data *op, int32_t acc, int32_t count)
{
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return (int8_t)pqk_clamp(acc, op->act_min, op->act_max);
}

/* Optimized AVERAGE_POOL_2D of one output pixel: channels innermost, four channels' sums kept as two pairs of
 * halfwords (SXTAB16), exact for windows of up to 256 values (|sum| <= 256 * 128). Returns the channels done. */
static int32_t avg_pixel_groups(const pqk_op_data *op, const int8_t *xb, int32_t iw, int32_t c_n, int32_t y0,
                                int32_t y1, int32_t x0, int32_t x1, int8_t *y)
{
    const int32_t count = (y1 - y0) * (x1 - x0);
    int32_t c = 0;
    for (; count <= 256 && c + 4 <= c_n; c += 4) {
        uint32_t se = 0, so = 0;
        for (int32_t iy = y0; iy < y1; iy++) {
            const int8_t *p = xb + ((size_t)iy * iw + x0) * c_n + c;
            for (int32_t ix = x0; ix < x1; ix++, p += c_n) {
                const uint32_t x4 = pqk_load_u32(p);
                se = pqk_sxtab16(se, x4);
                so = pqk_sxtab16_ror8(so, x4);
            }
        }
        y[c] = avg_of(op, (int16_t)(se & 0xffffu), count);
        y[c + 1] = avg_of(op, (int16_t)(so & 0xffffu), count);
        y[c + 2] = avg_of(op, (int16_t)(se >> 16), count);
        y[c + 3] = avg_of(op, (int16_t)(so >> 16), count);
    }
    return c;
}

/* AVERAGE_POOL_2D sums the valid window and divides by its size rounding half away from zero; MAX_POOL_2D takes
 * its maximum. Both then clamp to the fused activation. */
pqk_status pqk_pool_eval(pqk_ctx *ctx, pqk_node *node, int is_max)
{
    const pqk_op_data *op = &node->op;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    const int8_t *x = pqk_tensor_data(ctx, in);
    int8_t *y = pqk_tensor_data(ctx, out);
    const int32_t ih = in->dims[1], iw = in->dims[2], c_n = in->dims[3];
    for (int32_t n = 0; n < in->dims[0]; n++) {
        const int8_t *xb = x + (size_t)n * ih * iw * c_n;
        for (int32_t oy = 0; oy < out->dims[1]; oy++) {
            for (int32_t ox = 0; ox < out->dims[2]; ox++) {
                int32_t y0, y1, x0, x1;
                pool_window(op, in, oy, ox, &y0, &y1, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                if (count <= 0) return pqk_fail(ctx, node, PQK_ERR_MODEL, "empty pooling window");
                const int32_t done =
                    pqk_optimized(ctx) && !is_max ? avg_pixel_groups(op, xb, iw, c_n, y0, y1, x0, x1, y) : 0;
                y += done;
                for (int32_t c = done; c < c_n; c++) {
                    int32_t acc = is_max ? -128 : 0;
                    for (int32_t iy = y0; iy < y1; iy++) {
                        for (int32_t ix = x0; ix < x1; ix++) {
                            const int32_t v = xb[((size_t)iy * iw + ix) * c_n + c];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                        }
                    }
                    *y++ = is_max ? (int8_t)pqk_clamp(acc, op->act_min, op->act_max) : avg_of(op, acc, count);
                }
            }
        }
    }
    return PQK_OK;
}
