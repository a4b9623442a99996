/* FULLY_CONNECTED, int8 activations with int8 or packed int4 weights [O, I] (TFLite FullyConnected arithmetic:
 * the input*filter scale product is rounded to float before the division by the output scale). */
#include "kernels.h"

enum { OPT_ACT = 0 };

static pqk_status fc_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_op_data *op = &node->op;
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s != PQK_OK) return s;
    if (!w || w->ndims != 2 || in->elems % (uint32_t)w->dims[1] != 0 ||
        (uint64_t)out->elems != (uint64_t)(in->elems / (uint32_t)w->dims[1]) * (uint32_t)w->dims[0])
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "weights [O,I] do not match input and output sizes");
    s = pqk_weights_bias(ctx, node, 0, w->dims[0], w->dims[1]);
    if (s == PQK_OK)
        s = pqk_activation_range(ctx, node, fb_u8(&ctx->fb, node->options, OPT_ACT, 0), out, &op->act_min,
                                 &op->act_max);
    if (s != PQK_OK) return s;
    if (pqk_optimized(ctx)) node->scratch_bytes = 2u * (uint32_t)w->dims[1]; /* one input row as offset int16 */
    return pqk_channel_multipliers(ctx, node, in, w, out, w->dims[0], 1);
}

static inline __attribute__((always_inline)) void fc_run(const pqk_op_data *op, const int8_t *x, const int8_t *w,
                                                         const int32_t *bias, int8_t *y, int32_t batches, int32_t depth,
                                                         int32_t units, int is_int4)
{
    for (int32_t n = 0; n < batches; n++) {
        const int8_t *xb = x + (size_t)n * depth;
        for (int32_t o = 0; o < units; o++) {
            int32_t acc = 0;
            const uint32_t row = (uint32_t)o * depth;
            for (int32_t i = 0; i < depth; i++) acc += pqk_weight(w, is_int4, row + i) * (xb[i] + op->in_offset);
            *y++ = pqk_requant_gemm(op, acc, bias, o);
        }
    }
}

/* Optimized: each input row offset and widened once, then a DSP / MVE dot product per output unit. */
static void fc_dot(const pqk_op_data *op, const int8_t *x, const int8_t *w, const int32_t *bias, int8_t *y,
                   int32_t batches, int32_t depth, int32_t units, int is_int4, int16_t *row)
{
    for (int32_t n = 0; n < batches; n++) {
        pqk_offset_to_s16(x + (size_t)n * depth, op->in_offset, row, depth);
        pqk_col_finish(row, depth);
        for (int32_t o = 0; o < units; o += 2) {
            int32_t acc[2];
            const int32_t pair = o + 1 < units;
            const uint32_t first = (uint32_t)o * (uint32_t)depth;
            pqk_dot2_s8_s16(w, is_int4, first, pair ? first + (uint32_t)depth : first, row, depth, &acc[0], &acc[1]);
            for (int32_t k = 0; k <= pair; k++) *y++ = pqk_requant_gemm(op, acc[k], bias, o + k);
        }
    }
}

static pqk_status fc_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *w = pqk_in(ctx, node, 1);
    const int8_t *x = pqk_tensor_data(ctx, in);
    const int32_t *bias = pqk_bias_data(ctx, node);
    int8_t *y = pqk_tensor_data(ctx, pqk_out(ctx, node, 0));
    const int32_t depth = w->dims[1], units = w->dims[0], batches = (int32_t)(in->elems / (uint32_t)depth);
    if (pqk_optimized(ctx))
        fc_dot(&node->op, x, (const int8_t *)w->data, bias, y, batches, depth, units, w->type == PQK_INT4,
               (int16_t *)(void *)(ctx->arena + node->scratch_offset));
    else if (w->type == PQK_INT4)
        fc_run(&node->op, x, (const int8_t *)w->data, bias, y, batches, depth, units, 1);
    else
        fc_run(&node->op, x, (const int8_t *)w->data, bias, y, batches, depth, units, 0);
    return PQK_OK;
}

const pqk_kernel pqk_kernel_fully_connected_s8 = {PQK_OP_FULLY_CONNECTED, "FULLY_CONNECTED", fc_prepare, fc_eval};
