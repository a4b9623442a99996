/* Shared Prepare helpers and the op table's kernel declarations. */
#ifndef PQK_KERNELS_H
#define PQK_KERNELS_H

#include "../micro.h"
#include "../quant.h"

/* TFLite BuiltinOperator values of the ops pqk emits. */
enum {
    PQK_OP_ADD = 0,
    PQK_OP_AVERAGE_POOL_2D = 1,
    PQK_OP_CONV_2D = 3,
    PQK_OP_DEPTHWISE_CONV_2D = 4,
    PQK_OP_DEQUANTIZE = 6,
    PQK_OP_FULLY_CONNECTED = 9,
    PQK_OP_MAX_POOL_2D = 17,
    PQK_OP_RESHAPE = 22,
    PQK_OP_SOFTMAX = 25,
    PQK_OP_MEAN = 40,
    PQK_OP_QUANTIZE = 114
};

extern const pqk_kernel pqk_kernel_conv_s8, pqk_kernel_depthwise_conv_s8, pqk_kernel_fully_connected_s8,
    pqk_kernel_avg_pool_s8, pqk_kernel_max_pool_s8, pqk_kernel_mean_s8, pqk_kernel_add_s8, pqk_kernel_softmax_s8,
    pqk_kernel_quantize_s8, pqk_kernel_reshape;

/* Option field ids of Conv2DOptions / DepthwiseConv2DOptions. */
typedef struct {
    int padding, stride_w, stride_h, act, dil_w, dil_h;
} pqk_conv_fields;

/* Input 0 and output 0 are quantized int8; their offsets go into the op data. */
pqk_status pqk_int8_io(pqk_ctx *ctx, pqk_node *node);
/* Input 1 holds constant weights per-channel along channel_dim, input 2 an optional bias of `channels`. */
pqk_status pqk_weights_bias(pqk_ctx *ctx, pqk_node *node, int channel_dim, int32_t channels, int64_t dot_length);
/* Strides, dilations, padding and the fused activation of a convolution, checked against its shapes. */
pqk_status pqk_conv_geometry(pqk_ctx *ctx, pqk_node *node, const pqk_conv_fields *f);
/* Checks that tensor i of the node exists and has the type; `what` names it in the error. */
pqk_status pqk_expect(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *t, int type, const char *what);
/* Per-output-channel multipliers into the arena. `product_in_float` follows FULLY_CONNECTED's rounding of the
 * input*filter scale product to float before dividing; convolutions take the product in double. */
pqk_status pqk_channel_multipliers(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *in, const pqk_tensor *w,
                                   const pqk_tensor *out, int32_t channels, int product_in_float);
/* Pool and conv geometry: strides, padding and filter size, checked against the output shape. */
pqk_status pqk_window(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *in, const pqk_tensor *out, int padding,
                      int32_t filter_h, int32_t filter_w);
pqk_status pqk_pool_prepare(pqk_ctx *ctx, pqk_node *node);
pqk_status pqk_pool_eval(pqk_ctx *ctx, pqk_node *node, int is_max);
/* Optimized paths (dot_s8.c): a column of n int16 values is filled with pqk_offset_to_s16, then put in the
 * order the build's dot product reads with pqk_col_finish; pqk_dot*_s8_s16 sum w[first + i] * x[i]. */
void pqk_offset_to_s16(const int8_t *x, int32_t offset, int16_t *dst, int32_t n);
void pqk_col_finish(int16_t *x, int32_t n);
int32_t pqk_dot_s8_s16(const int8_t *w, int is_int4, uint32_t first, const int16_t *x, int32_t n);
void pqk_dot2_s8_s16(const int8_t *w, int is_int4, uint32_t first_a, uint32_t first_b, const int16_t *x, int32_t n,
                     int32_t *a, int32_t *b);
/* The widened-weight GEMM (gemm_s16.c) of CONV_2D with int8 weights [rows, depth]: Prepare widens the weights
 * into the arena; Eval fills a two-pixel column and runs every output channel of both pixels into y0 and y1
 * (scratch: 6 * padded depth bytes for the column and a gather buffer, one byte per row for a missing pixel). */
#define PQK_GEMM_DEPTH_STEP 8
int32_t pqk_gemm_depth_pad(int32_t depth);
pqk_status pqk_gemm_prepare(pqk_ctx *ctx, pqk_node *node, const int8_t *w, int32_t rows, int32_t depth);
void pqk_gemm_col_s16(const int16_t *x, int32_t n, int32_t depth, int p, uint32_t *col);
void pqk_gemm_col_s8(const int8_t *x, int32_t offset, int32_t depth, int p, uint32_t *col);
void pqk_gemm_run(const pqk_op_data *op, const uint32_t *col, const int32_t *bias, int8_t *y0, int8_t *y1);
/* DEPTHWISE_CONV_2D 3x3, multiplier 1, int8 weights (depthwise_conv_3x3_s8.c): weights widened at Prepare, then
 * whole output pixels from nine tap pointers (a tap in the padding points at c_n bytes of the input zero point). */
#define PQK_DW3X3_GROUP_WORDS 22
pqk_status pqk_dw3x3_prepare(pqk_ctx *ctx, pqk_node *node, const int8_t *w, const int32_t *bias, int32_t c_n);
void pqk_dw3x3_pixel(const pqk_op_data *op, const int8_t *const *taps, int32_t c_n, const int8_t *w,
                     const int32_t *bias, int8_t *y);
pqk_status pqk_same_shape(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *a, const pqk_tensor *b);

/* The tail of every convolution-like output: + bias, per-channel rescale, + output zero point, clamp. GEMM ops
 * (CONV_2D, FULLY_CONNECTED) round ties away from zero as TFLite Micro's reference (or up, as x86-64 TFLite's ruy,
 * when asked), DEPTHWISE_CONV_2D away from zero in both. */
static inline int8_t pqk_requant_gemm(const pqk_op_data *op, int32_t acc, const int32_t *bias, int32_t c)
{
    if (bias) acc = pqk_add_wrap(acc, bias[c]);
    const int32_t scaled = op->gemm_ties_up ? pqk_mbqm_gemm(acc, op->mults[c], op->shifts[c]) : pqk_mbqm(acc, op->mults[c], op->shifts[c]);
    acc = pqk_add_wrap(scaled, op->out_offset);
    return (int8_t)pqk_clamp(acc, op->act_min, op->act_max);
}

static inline int8_t pqk_requant_ref(const pqk_op_data *op, int32_t acc, int32_t c)
{
    acc = pqk_add_wrap(pqk_mbqm(acc, op->mults[c], op->shifts[c]), op->out_offset);
    return (int8_t)pqk_clamp(acc, op->act_min, op->act_max);
}

static inline const int32_t *pqk_bias_data(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *b = pqk_in(ctx, node, 2);
    return b ? (const int32_t *)pqk_tensor_data(ctx, b) : (const int32_t *)0;
}

#endif
