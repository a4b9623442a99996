/* Shared Prepare helpers and the op table's kernel declarations. */
#ifndef PQK_KERNELS_H
#define PQK_KERNELS_H

#include "../micro.h"
#include "../quant.h"
#include "simd.h"

/* The ops' builtin codes (PQK_OP_*) and the kernel list, generated from the op descriptors. */
#include "ops_generated.h"

#define PQK_DECLARE_KERNEL(k) extern const pqk_kernel k;
PQK_MICRO_KERNELS(PQK_DECLARE_KERNEL)
#undef PQK_DECLARE_KERNEL

/* Option field ids of Conv2DOptions / DepthwiseConv2DOptions. */
typedef struct {
    int padding, stride_w, stride_h, act, dil_w, dil_h;
} pqk_conv_fields;

/* gemmlowp fixed point (fixed_point.c): exp(a) for a <= 0 held with `integer_bits` integer bits, result in Q0.31;
 * 1 / (1 + a) for a in [0, 1), Q0.31 in and out. */
int32_t pqk_exp_on_negative_values(int32_t a, int integer_bits);
int32_t pqk_one_over_one_plus_x(int32_t a);
/* An elementwise int8 op through a 256-entry table (LOGISTIC, HARD_SWISH): Prepare checks the shapes and takes the
 * table from the arena, Eval looks every value up. */
pqk_status pqk_table_prepare(pqk_ctx *ctx, pqk_node *node, int8_t **table);
pqk_status pqk_table_eval(pqk_ctx *ctx, pqk_node *node);
/* Input 0 and output 0 are quantized int8; their offsets go into the op data. */
pqk_status pqk_int8_io(pqk_ctx *ctx, pqk_node *node);
/* Inputs 0 and 1 and output 0 are quantized int8 (ADD, MUL); their offsets go into the op data. */
pqk_status pqk_int8_binary_io(pqk_ctx *ctx, pqk_node *node);
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
/* The GEMM of CONV_2D with int8 or int4 weights [rows, depth] (gemm_s8.c), for a depth that is a multiple of 4
 * (int8) or 8 (int4): Eval fills a column of PQK_GEMM_PIXELS pixels (pixel p with pqk_gemm_col_s8, or on Helium
 * pqk_gemm_col_mve, from the input or an int8 gather) and runs every output channel of the four pixels. Scratch:
 * pqk_gemm_scratch_bytes, below. */
#define PQK_GEMM_PIXELS 4
int pqk_gemm_fits(int32_t depth, int is_int4);
/* The scratch of a GEMM conv, the same in every build (the host sizes the arena): the column area, which holds
 * either the DSP layout followed, for int8 weights, by three words a row (pqk_gemm_rows_begin) or Helium's 16-byte
 * (int8) or 32-byte (int4) chunks followed by its row bases (4 x rows), whichever is larger (pqk_gemm_col_bytes); one
 * gathered pixel (depth bytes); the output block of a last group of fewer than four pixels (4 x rows). */
static inline uint32_t pqk_gemm_mve_col_bytes(int32_t depth, int is_int4)
{
    return is_int4 ? PQK_GEMM_PIXELS * 32u * (((uint32_t)depth + 31u) / 32u)
                   : PQK_GEMM_PIXELS * 16u * (((uint32_t)depth + 15u) / 16u);
}
static inline uint32_t pqk_gemm_col_bytes(int32_t rows, int32_t depth, int is_int4)
{
    const uint32_t dsp = 2u * PQK_GEMM_PIXELS * (uint32_t)depth + (is_int4 ? 0u : 12u * (uint32_t)rows),
                   mve = pqk_gemm_mve_col_bytes(depth, is_int4) + 4u * (uint32_t)rows;
    return dsp > mve ? dsp : mve;
}
/* The same with 2:4 weights read from their packed form (pqk_gemm_2of4_*): the pixel table (24 x depth bytes) and the
 * three words a row in place of the DSP column, or Helium's layout where that is larger (Helium runs it dense). */
static inline uint32_t pqk_gemm_2of4_col_bytes(int32_t rows, int32_t depth)
{
    const uint32_t table = 24u * (uint32_t)depth + 12u * (uint32_t)rows, dense = pqk_gemm_col_bytes(rows, depth, 0);
    return table > dense ? table : dense;
}
uint32_t pqk_gemm_scratch_bytes(int32_t rows, int32_t depth, int is_int4);
void pqk_gemm_col_s8(const int8_t *x, int32_t offset, int32_t depth, int p, int is_int4, uint32_t *col);
/* Once per Eval, before the pixels: what the DSP row loop reads of each row, in the column area. */
void pqk_gemm_rows_begin(const pqk_op_data *op, const int32_t *bias, uint32_t *col);
/* 2:4 weights (depth a multiple of 16; int4 of 32), read from their packed form: pixel p's table (pqk_gemm_2of4_col),
 * the rows (pqk_gemm_rows_begin with the op's gemm_2of4 set), then pqk_gemm_2of4_run, whose output goes as
 * pqk_gemm_run's. */
int pqk_gemm_2of4_pays(const pqk_op_data *op, const int32_t *bias);
/* The bytes of one row's packed form: 12 per 16 of the depth (int8), per 32 (int4). */
static inline uint32_t pqk_2of4_row_bytes(int32_t depth, int is_int4)
{
    return (uint32_t)depth / (is_int4 ? 32u : 16u) * 12u;
}
/* Weight d of one row's packed form (the plain kernels' reading of weights only in packed form). */
int32_t pqk_2of4_weight(const uint8_t *row, uint32_t d, int is_int4);
/* The group of four that starts at d (a multiple of 4): its two positions and weights. */
void pqk_2of4_group(const uint8_t *row, uint32_t d, int is_int4, int32_t *at, int32_t *w);
void pqk_gemm_2of4_col(const int8_t *x, int32_t offset, int32_t depth, int p, uint32_t *table);
void pqk_gemm_2of4_run(const pqk_op_data *op, const uint8_t *packed, const uint32_t *table, const int32_t *bias,
                       int8_t *y, int32_t stride);
/* Pixel p's output of row r goes to y[p * stride + r]. */
void pqk_gemm_run(const pqk_op_data *op, const int8_t *weights, const uint32_t *col, const int32_t *bias, int8_t *y,
                  int32_t stride);
/* Helium: pixel p's int8 inputs (offset not applied) into the column: int8 weights, 16-byte chunks (4c + p); int4
 * weights, 32-byte chunks (4c + p) of the 32 inputs' even elements, then their odd ones; each row's base (bias +
 * input offset x its weight sum) once per Eval; then 16 MACs per VMLADAVA. */
void pqk_gemm_col_mve(const int8_t *x, int32_t depth, int p, int is_int4, int8_t *col);
void pqk_gemm_bases_mve(const pqk_op_data *op, const int8_t *weights, const int32_t *bias, int32_t *base);
void pqk_gemm_run_mve(const pqk_op_data *op, const int8_t *weights, const int8_t *col, const int32_t *base, int8_t *y,
                      int32_t stride);
/* DEPTHWISE_CONV_2D 3x3, multiplier 1, int8 or int4 weights, channels a multiple of 4 (depthwise_conv_3x3_s8.c): the
 * weights are read from the model and widened in registers, or laid out widened in the scratch once per Eval
 * beside each channel group's starting sum (bias + input offset x its weights) and rescale; taps in the padding
 * read rows of the input zero point in the scratch (Helium widens int4 weights to int8 there, once per Eval).
 * pqk_dw3x3_scratch_bytes: the scratch an op needs, the same on every core. */
void pqk_dw3x3_start(const pqk_op_data *op, const int8_t *w, int is_int4, const int32_t *bias, int32_t c_n,
                     int32_t *start);
uint32_t pqk_dw3x3_scratch_bytes(const pqk_op_data *op, int32_t c_n, int is_int4);
/* no_min_weight: no int8 weight is -128, so Helium may sum two taps' products in int16. */
void pqk_dw3x3_run(const pqk_op_data *op, const int8_t *x, const int32_t *in_dims, const int32_t *out_dims,
                   const int8_t *w, const int32_t *bias, int is_int4, int no_min_weight, void *scratch, int8_t *y);
pqk_status pqk_same_shape(pqk_ctx *ctx, pqk_node *node, const pqk_tensor *a, const pqk_tensor *b);

/* The tail of every convolution-like output: + bias, per-channel rescale, + output zero point, clamp. GEMM ops
 * (CONV_2D, FULLY_CONNECTED) round ties away from zero as TFLite Micro's reference (or up, as x86-64 TFLite's ruy,
 * when asked), DEPTHWISE_CONV_2D away from zero in both. */
static inline int8_t pqk_requant_gemm(const pqk_op_data *op, int32_t acc, const int32_t *bias, int32_t c)
{
    if (bias) acc = pqk_add_wrap(acc, bias[c]);
    const int32_t scaled =
        op->gemm_ties_up ? pqk_mbqm_gemm(acc, op->mults[c], op->shifts[c]) : pqk_mbqm(acc, op->mults[c], op->shifts[c]);
    acc = pqk_add_wrap(scaled, op->out_offset);
    return (int8_t)pqk_clamp(acc, op->act_min, op->act_max);
}

static inline int8_t pqk_requant_ref(const pqk_op_data *op, int32_t acc, int32_t c)
{
    acc = pqk_add_wrap(pqk_mbqm(acc, op->mults[c], op->shifts[c]), op->out_offset);
    return (int8_t)pqk_clamp(acc, op->act_min, op->act_max);
}

/* The short rescale (op->rescale_short, decided at Prepare by pqk_rescale_short_ok): where every accumulator is known
 * to stay below 2^30 in magnitude and every channel shifts right by 1 to 31, MultiplyByQuantizedMultiplier is
 * SaturatingRoundingDoublingHighMul(acc, mult) = (2 acc * mult + 2^31) >> 32, one SMMULR of 2 acc (nothing to
 * saturate), then RoundingDivideByPOT(v, right), ties away from zero, as ((((v - (v < 0)) >> (right - 1)) + 1) >> 1).
 * The output offset joins the last +1 as k = 2 out_offset + 1 and the last >> 1 is SSAT's shift: seven instructions
 * an output with rm1 = right - 1 = ~shift loaded once per channel. */
static inline int32_t pqk_rescale_short_x2(int32_t acc, int32_t mult, int32_t rm1, int32_t k)
{
    int32_t v = pqk_smmulr((int32_t)((uint32_t)acc << 1), mult);
    v -= (int32_t)((uint32_t)v >> 31);
    return (v >> rm1) + k; /* twice the output value, plus one */
}

static inline int8_t pqk_out_short(int32_t acc, int32_t mult, int32_t rm1, int32_t k, int full_range, int32_t lo,
                                   int32_t hi)
{
    const int32_t t = pqk_rescale_short_x2(acc, mult, rm1, k);
    return full_range ? pqk_sat_s8_asr1(t) : (int8_t)pqk_clamp(t >> 1, lo, hi);
}

/* How an output's clamp [lo, hi] is applied after the short rescale: the whole int8 range (SSAT alone), a floor with
 * the top at 127 (a ReLU: SSAT then the floor), or both ends. */
enum { PQK_CLAMP_NONE, PQK_CLAMP_FLOOR, PQK_CLAMP_BOTH };
static inline int pqk_clamp_kind(int32_t lo, int32_t hi)
{
    return hi != 127 ? PQK_CLAMP_BOTH : (lo == -128 ? PQK_CLAMP_NONE : PQK_CLAMP_FLOOR);
}

/* t from pqk_rescale_short_x2 (twice the output value, plus one) to the output byte. */
static inline int8_t pqk_out_clamped(int32_t t, int clamp, int32_t lo, int32_t hi)
{
    if (clamp == PQK_CLAMP_BOTH) return (int8_t)pqk_clamp(t >> 1, lo, hi);
    const int32_t s = pqk_sat_s8_asr1(t);
    return (int8_t)(clamp == PQK_CLAMP_FLOOR && s < lo ? lo : s);
}

#if defined(PQK_MVE)
/* 16 bytes of packed int4 weights (low nibble first) as int8: the low nibbles (the even elements) and the high ones
 * (the odd elements), sign-extended by an arithmetic shift. */
static inline void pqk_nibbles_mve(int8x16_t b, int8x16_t *even, int8x16_t *odd)
{
    *even = vshrq_n_s8(vshlq_n_s8(b, 4), 4);
    *odd = vshrq_n_s8(b, 4);
}

/* The short rescale on four lanes (Helium): VQRDMULH is SaturatingRoundingDoublingHighMul itself, saturation
 * included, so no bound on the accumulator is needed here; then RoundingDivideByPOT as in pqk_rescale_short_x2 and
 * the clamp to [lo, hi]. pqk_out_short_mve gives each lane its own multiplier and shift + 1 = -(right - 1);
 * pqk_out_short_mve_n one of each for all four (four pixels of one output channel), taken as scalars. */
static inline int32x4_t pqk_short_tail_mve(int32x4_t v, int32_t k, int32x4_t lo, int32x4_t hi)
{
    return vminq_s32(vmaxq_s32(vshrq_n_s32(vaddq_n_s32(v, k), 1), lo), hi);
}

static inline int32x4_t pqk_out_short_mve(int32x4_t acc, int32x4_t mult, int32x4_t neg_rm1, int32_t k, int32x4_t lo,
                                          int32x4_t hi)
{
    const int32x4_t v = vqrdmulhq_s32(acc, mult);
    return pqk_short_tail_mve(vshlq_s32(vaddq_s32(v, vshrq_n_s32(v, 31)), neg_rm1), k, lo, hi);
}

static inline int32x4_t pqk_out_short_mve_n(int32x4_t acc, int32_t mult, int32_t neg_rm1, int32_t k, int32x4_t lo,
                                            int32x4_t hi)
{
    const int32x4_t v = vqrdmulhq_n_s32(acc, mult);
    return pqk_short_tail_mve(vshlq_r_s32(vaddq_s32(v, vshrq_n_s32(v, 31)), neg_rm1), k, lo, hi);
}
#endif

/* Whether the short rescale is exact for an op: ties away from zero, every shift in [-31, -1] with a non-negative
 * multiplier, and |bias| + 128 x 255 x dot_length below 2^30 for every channel (|weight| <= 128, |input + offset|
 * <= 255). */
int pqk_rescale_short_ok(const pqk_op_data *op, const int32_t *bias, int32_t channels, int64_t dot_length);
/* Whether int4 sums times 16, the bias included, stay below 2^31: |bias| + 8 x 255 x dot_length below 2^27 for every
 * channel (the 2:4 int4 row loop's sums; conv_prepare sets rescale_short to 2 then). */
int pqk_rescale_x16_ok(const int32_t *bias, int32_t channels, int64_t dot_length);

static inline const int32_t *pqk_bias_data(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *b = pqk_in(ctx, node, 2);
    return b ? (const int32_t *)pqk_tensor_data(ctx, b) : (const int32_t *)0;
}

#endif
