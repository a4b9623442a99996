/* Prepare-time checks and multiplier set-up shared by the kernels. */
/* Load-time code: it runs once, when the model is read and prepared, never per inference; built for size. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#include "kernels.h"

pqk_status pqk_expect(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *t, int type, const char *what)
{
    if (!t) return pqk_fail(ctx, node, PQK_ERR_MODEL, what);
    if (t->type != type) {
        pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, what, t->type);
        pqk_str_append(ctx->error, sizeof ctx->error, " (unsupported tensor type)");
        return PQK_ERR_UNSUPPORTED;
    }
    if (type == PQK_INT8 && t->scales.len == 0) {
        pqk_fail(ctx, node, PQK_ERR_MODEL, what);
        pqk_str_append(ctx->error, sizeof ctx->error, " is int8 without quantization parameters");
        return PQK_ERR_MODEL;
    }
    return PQK_OK;
}

static pqk_status pqk_expect_weights(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *w, int channel_dim)
{
    if (!w) return pqk_fail(ctx, node, PQK_ERR_MODEL, "missing weights");
    if (w->type != PQK_INT8 && w->type != PQK_INT4)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "weights must be int8 or int4, got type", w->type);
    if (!w->data) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "weights must be constant");
    if (w->scales.len == 0) return pqk_fail(ctx, node, PQK_ERR_MODEL, "weights are not quantized");
    if (w->scales.len > 1 && w->quantized_dim != channel_dim)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "per-channel weights quantized along dimension",
                            w->quantized_dim);
    if (w->zero_point != 0) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "weights must be symmetric");
    return PQK_OK;
}

pqk_status pqk_channel_multipliers(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *in, const pqk_tensor *w,
                                   const pqk_tensor *out, int32_t channels, int product_in_float)
{
    pqk_op_data *op = &node->op;
    op->mults = pqk_alloc_persistent(ctx, sizeof(int32_t) * (size_t)channels);
    op->shifts = pqk_alloc_persistent(ctx, sizeof(int32_t) * (size_t)channels);
    if (!op->mults || !op->shifts) return pqk_fail(ctx, node, PQK_ERR_ARENA, "arena too small for multipliers");
    for (int32_t c = 0; c < channels; c++) {
        const float ws = w->scales.len > 1 ? fb_vec_f32(&ctx->fb, w->scales, (uint32_t)c) : w->scale;
        double real;
        if (product_in_float) {
            const float product = in->scale * ws;
            real = (double)product / (double)out->scale;
        } else {
            real = (double)in->scale * (double)ws / (double)out->scale;
        }
        pqk_quantize_multiplier(real, &op->mults[c], &op->shifts[c]);
    }
    return PQK_OK;
}

static pqk_status pqk_expect_dot_length(pqk_ctx *ctx, pqk_node *node, int64_t length)
{
    if (length > PQK_MAX_DOT_LENGTH)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED,
                            "dot product too long for an int32 accumulator:", (int32_t)length);
    return PQK_OK;
}

static pqk_status pqk_expect_bias(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *bias, int32_t channels)
{
    if (!bias) return PQK_OK;
    pqk_status s = pqk_expect(ctx, node, bias, PQK_INT32, "bias");
    if (s != PQK_OK) return s;
    if (!bias->data) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "bias must be constant");
    if (bias->elems != (uint32_t)channels) return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "bias length", bias->elems);
    return PQK_OK;
}

pqk_status pqk_window(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *in, const pqk_tensor *out, int padding,
                      int32_t filter_h, int32_t filter_w)
{
    pqk_op_data *op = &node->op;
    if (in->ndims != 4 || out->ndims != 4)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "input and output must be NHWC");
    if (padding != 0 && padding != 1) return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "padding", padding);
    if (op->stride_h <= 0 || op->stride_w <= 0 || op->dil_h <= 0 || op->dil_w <= 0 || filter_h <= 0 || filter_w <= 0)
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "stride, dilation and filter size must be positive");
    /* Bounds that keep every index computation of Eval inside int32. */
    const int64_t lim = 1 << 20;
    if (op->stride_h > lim || op->stride_w > lim || (int64_t)(filter_h - 1) * op->dil_h >= lim ||
        (int64_t)(filter_w - 1) * op->dil_w >= lim)
        return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "stride or dilated filter larger than 2^20");
    const int32_t oh = pqk_out_size(padding, in->dims[1], filter_h, op->stride_h, op->dil_h);
    const int32_t ow = pqk_out_size(padding, in->dims[2], filter_w, op->stride_w, op->dil_w);
    if (oh != out->dims[1] || ow != out->dims[2] || in->dims[0] != out->dims[0])
        return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "output shape does not match the window; expected height", oh);
    op->filter_h = filter_h;
    op->filter_w = filter_w;
    op->pad_h = pqk_padding(op->stride_h, op->dil_h, in->dims[1], filter_h, oh);
    op->pad_w = pqk_padding(op->stride_w, op->dil_w, in->dims[2], filter_w, ow);
    return PQK_OK;
}

pqk_status pqk_same_shape(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *a, const pqk_tensor *b)
{
    if (a->elems != b->elems)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "element counts differ:", (int32_t)a->elems);
    return PQK_OK;
}

pqk_status pqk_int8_io(pqk_ctx *ctx, pqk_node *node)
{
    pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_expect(ctx, node, in, PQK_INT8, "input");
    if (s == PQK_OK) s = pqk_expect(ctx, node, out, PQK_INT8, "output");
    if (s != PQK_OK) return s;
    node->op.in_offset = -in->zero_point;
    node->op.out_offset = out->zero_point;
    return PQK_OK;
}

pqk_status pqk_int8_binary_io(pqk_ctx *ctx, pqk_node *node)
{
    pqk_tensor *a = pqk_in(ctx, node, 0), *b = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_expect(ctx, node, a, PQK_INT8, "first input");
    if (s == PQK_OK) s = pqk_expect(ctx, node, b, PQK_INT8, "second input");
    if (s == PQK_OK) s = pqk_expect(ctx, node, out, PQK_INT8, "output");
    if (s != PQK_OK) return s;
    node->op.in_offset = -a->zero_point;
    node->op.in2_offset = -b->zero_point;
    node->op.out_offset = out->zero_point;
    return PQK_OK;
}

pqk_status pqk_weights_bias(pqk_ctx *ctx, pqk_node *node, int channel_dim, int32_t channels, int64_t dot_length)
{
    pqk_status s = pqk_expect_weights(ctx, node, pqk_in(ctx, node, 1), channel_dim);
    if (s == PQK_OK) s = pqk_expect_bias(ctx, node, pqk_in(ctx, node, 2), channels);
    if (s == PQK_OK) s = pqk_expect_dot_length(ctx, node, dot_length);
    return s;
}

pqk_status pqk_conv_geometry(pqk_ctx *ctx, pqk_node *node, const pqk_conv_fields *f)
{
    pqk_op_data *op = &node->op;
    fb_buf *b = &ctx->fb;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    op->stride_w = fb_i32(b, node->options, f->stride_w, 0);
    op->stride_h = fb_i32(b, node->options, f->stride_h, 0);
    op->dil_w = fb_i32(b, node->options, f->dil_w, 1);
    op->dil_h = fb_i32(b, node->options, f->dil_h, 1);
    pqk_status s = pqk_window(ctx, node, in, out, fb_u8(b, node->options, f->padding, 0), w->dims[1], w->dims[2]);
    if (s != PQK_OK) return s;
    return pqk_activation_range(ctx, node, fb_u8(b, node->options, f->act, 0), out, &op->act_min, &op->act_max);
}

int pqk_rescale_x16_ok(const int32_t *bias, int32_t channels, int64_t dot_length)
{
    const int64_t products = 8 * 255 * dot_length; /* int4 weights */
    for (int32_t c = 0; c < channels; c++) {
        const int64_t b = bias ? (int64_t)bias[c] : 0;
        if ((b < 0 ? -b : b) + products >= (1 << 27)) return 0;
    }
    return 1;
}

int pqk_rescale_short_ok(const pqk_op_data *op, const int32_t *bias, int32_t channels, int64_t dot_length)
{
    if (op->gemm_ties_up || dot_length <= 0 || dot_length > (1 << 14)) return 0;
    const int64_t products = 128 * 255 * dot_length;
    for (int32_t c = 0; c < channels; c++) {
        const int64_t b = bias ? (int64_t)bias[c] : 0;
        if (op->shifts[c] > -1 || op->shifts[c] < -31 || op->mults[c] < 0 || (b < 0 ? -b : b) + products >= (1 << 30))
            return 0;
    }
    return 1;
}
