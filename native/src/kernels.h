/* Float32 kernels behind pqk's `native` tfjs backend. All tensors are row-major NHWC / HWIO, as tfjs stores them. */
#ifndef PQK_NATIVE_KERNELS_H
#define PQK_NATIVE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Geometry of one 2-D convolution, as tfjs' computeConv2DInfo gives it (mult: depthwise channel multiplier). */
typedef struct {
    int batch, in_h, in_w, in_c; /* x: (batch, in_h, in_w, in_c) */
    int out_h, out_w, out_c;     /* y: (batch, out_h, out_w, out_c) */
    int fh, fw;                  /* filter: (fh, fw, in_c, out_c) or depthwise (fh, fw, in_c, mult) */
    int stride_h, stride_w, dil_h, dil_w;
    int pad_top, pad_left;
    int mult;
} conv_geom;

/* Runs the statement after it for each in-bounds input pixel (ih, iw) under filter tap (kh, kw) of output (oh, ow). */
#define FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)                                                                          \
    for (int kh = 0, ih = (oh) * (g)->stride_h - (g)->pad_top; kh < (g)->fh; kh++, ih += (g)->dil_h)                   \
        if (ih >= 0 && ih < (g)->in_h)                                                                                 \
            for (int kw = 0, iw = (ow) * (g)->stride_w - (g)->pad_left; kw < (g)->fw; kw++, iw += (g)->dil_w)          \
                if (iw >= 0 && iw < (g)->in_w)

/* conv2d.c: im2col + sgemm */
void conv2d_forward(const conv_geom *g, const float *x, const float *w, float *y);
void conv2d_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx);
void conv2d_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw);

/* depthwise.c: direct loops */
void depthwise_forward(const conv_geom *g, const float *x, const float *w, float *y);
void depthwise_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx);
void depthwise_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw);

/* matmul.c: c[b] = op(a[b]) * op(b[b]); a_bstride/b_bstride are 0 for a broadcast batch */
void batch_matmul(int batch, int m, int n, int k, int trans_a, int trans_b, const float *a, long a_bstride,
                  const float *b, long b_bstride, float *c);

/* elementwise.c: broadcasting binary ops over up to PQK_MAX_RANK dims */
#define PQK_MAX_RANK 8
enum binary_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_SQDIFF, OP_RELU_GRAD };
void binary_broadcast(int op, int rank, const int *out_shape, const float *a, const int *a_shape, const float *b,
                      const int *b_shape, float *out);

/* reduce.c: reduce the dims where reduced[d] != 0 */
enum reduce_op { RED_SUM, RED_MEAN, RED_MAX, RED_MIN };
void reduce_axes(int op, int rank, const int *shape, const int *reduced, const float *x, float *out);
void transpose(int rank, const int *shape, const int *perm, const float *x, float *out);

/* unary.c */
enum unary_op {
    UN_RELU,
    UN_RELU6,
    UN_STEP,
    UN_SQUARE,
    UN_SQRT,
    UN_RSQRT,
    UN_NEG,
    UN_EXP,
    UN_LOG,
    UN_ABS,
    UN_SIGMOID,
    UN_TANH,
    UN_ROUND,
    UN_FLOOR,
    UN_CEIL,
    UN_CLIP,
    UN_RECIPROCAL,
    UN_SCALE
};
void unary(int op, long n, const float *x, float p0, float p1, float *out);
/* the gradient of a clip to [lo, hi]: dy where lo <= x <= hi, else 0 */
void clip_grad(long n, const float *dy, const float *x, float lo, float hi, float *out);
void tile(int rank, const int *shape, const int *reps, const float *x, float *out);
#define PQK_BN_MAX_CHANNELS 4096
void batchnorm(long rows, long c, const float *x, const float *mean, const float *var, const float *offset,
               const float *scale, float eps, float *out);

/* bn_train.c: x is (rows, c); mean, var, invstd, dgamma, dbeta are (c,) */
void bn_train_forward(long rows, long c, const float *x, const float *gamma, const float *beta, float eps, int relu,
                      float *y, float *mean, float *var, float *invstd);
void bn_train_backward(long rows, long c, const float *dy, const float *x, const float *y, const float *mean,
                       const float *invstd, const float *gamma, int relu, float *dx, float *dgamma, float *dbeta);
void bn_grad(long rows, long c, const float *dy, const float *x, const float *mean, const float *var,
             const float *scale, float eps, float *dx, float *dmean, float *dvar, float *dscale, float *doffset);

/* pool.c: kind 0 avg forward, 1 max forward, 2 avg gradient, 3 max gradient (needs x) */
void pool2d(int kind, const conv_geom *g, const float *x, const float *dy, float *out);

/* fixed_point.c: out = acc * m rounded as MultiplyByQuantizedMultiplier; acc, out (rows, c), m (c,); 0 if out of memory
 */
enum fixed_point_rounding { FP_TIES_UP, FP_AWAY, FP_SINGLE };
int fixed_point_scale(long rows, long c, int rounding, const float *acc, const float *m, float *out);

/* quant_add.c: TFLite's int8 ADD rescaling, exactly; p = input1 multiplier, shift, input2 multiplier, shift, output
   multiplier, shift; a, b, out have n values */
void quant_add(const int32_t *p, long n, const float *a, const float *b, float *out);

/* parallel.c: run fn(ctx, lo, hi, slot) over [0, n) split across the worker threads; returns the slots used */
typedef void (*range_fn)(void *ctx, long lo, long hi, int slot);
int parallel_for(long n, long min_chunk, range_fn fn, void *ctx);
int parallel_threads(void);
/* Sums that must not depend on the thread count: [0, n) is cut into PQK_SLOTS fixed ranges (slot s: n*s/PQK_SLOTS to
   n*(s+1)/PQK_SLOTS), each summed into its own partial by fn(ctx, lo, hi, s), empty ones skipped; the caller adds the
   partials in slot order (sum_slots, or over every slot from a zeroed start). However many threads run them, a
   gradient is the same sum in the same order, on any machine. */
#define PQK_SLOTS 8
void parallel_slots(long n, long min_chunk, range_fn fn, void *ctx);
/* out = the written partials of parallel_slots over n items (size floats each) added in slot order; 0 when none */
void sum_slots(long n, const float *partials, long size, float *out);

/* malloc that remembers a failure (from any thread): a kernel that cannot have its buffer stops early, and its entry
   point turns the failure into a JS error (pqk_alloc_failed reads and clears it) instead of writing through NULL */
void *pqk_malloc(size_t bytes);
int pqk_alloc_failed(void);

#endif
