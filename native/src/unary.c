/* Elementwise unary ops, tile and batch-norm inference arithmetic, rounded as the JS backend rounds them. */
#include <math.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    int op;
    float p0, p1;
    const float *x;
    float *out;
} un_job;

/* one loop per op, so each is branch-free in the element and vectorises */
static void unary_range(void *ctx, long lo, long hi, int slot)
{
    const un_job *j = ctx;
    const float *restrict x = j->x;
    float *restrict y = j->out;
    const float p0 = j->p0, p1 = j->p1;
    (void)slot;
#define LOOP(EXPR)                                                                                                     \
    for (long i = lo; i < hi; i++) {                                                                                   \
        const float v = x[i];                                                                                          \
        y[i] = (EXPR);                                                                                                 \
    }                                                                                                                  \
    break
    switch (j->op) {
    case UN_RELU:
        LOOP(v < 0 ? 0.0f : v);
    case UN_RELU6:
        LOOP(isnan(v) ? v : v < 0 ? 0.0f : v > 6 ? 6.0f : v);
    case UN_STEP:
        LOOP(isnan(v) ? v : v > 0 ? 1.0f : p0);
    case UN_SQUARE:
        LOOP(v * v);
    case UN_SQRT:
        LOOP(sqrtf(v)); /* correctly rounded, as rounding the double root is */
    case UN_RSQRT:
        LOOP((float)(1.0 / sqrt((double)v)));
    case UN_NEG:
        LOOP(-v);
    case UN_EXP:
        LOOP((float)exp((double)v));
    case UN_LOG:
        LOOP((float)log((double)v));
    case UN_ABS:
        LOOP(fabsf(v));
    case UN_SIGMOID:
        LOOP((float)(1.0 / (1.0 + exp(-(double)v))));
    case UN_TANH:
        LOOP((float)tanh((double)v));
    case UN_ROUND:
        LOOP(rintf(v)); /* half to even, the default rounding mode */
    case UN_FLOOR:
        LOOP(floorf(v));
    case UN_CEIL:
        LOOP(ceilf(v));
    case UN_CLIP:
        LOOP(v > p1 ? p1 : v < p0 ? p0 : v);
    case UN_RECIPROCAL:
        LOOP(1.0f / v);
    default:
        LOOP(v * p0);
    }
#undef LOOP
}

void unary(int op, long n, const float *x, float p0, float p1, float *out)
{
    un_job j = {op, p0, p1, x, out};
    parallel_for(n, 1L << 16, unary_range, &j);
}

typedef struct {
    float lo, hi;
    const float *dy, *x;
    float *out;
} clip_grad_job;

static void clip_grad_range(void *ctx, long lo, long hi, int slot)
{
    const clip_grad_job *j = ctx;
    const float *restrict dy = j->dy, *restrict x = j->x;
    float *restrict y = j->out;
    const float a = j->lo, b = j->hi;
    (void)slot;
    for (long i = lo; i < hi; i++) y[i] = x[i] >= a && x[i] <= b ? dy[i] : 0.0f;
}

void clip_grad(long n, const float *dy, const float *x, float lo, float hi, float *out)
{
    clip_grad_job j = {lo, hi, dy, x, out};
    parallel_for(n, 1L << 16, clip_grad_range, &j);
}

/* out = x repeated reps[d] times along each dim d */
void tile(int rank, const int *shape, const int *reps, const float *x, float *out)
{
    long out_dims[PQK_MAX_RANK] = {0}, in_strides[PQK_MAX_RANK] = {0}, idx[PQK_MAX_RANK] = {0}, total = 1;
    for (long d = rank - 1, s = 1; d >= 0; d--) in_strides[d] = s, s *= shape[d];
    for (int d = 0; d < rank; d++) out_dims[d] = (long)shape[d] * reps[d], total *= out_dims[d];
    if (total == 0) return;
    const long row = shape[rank - 1], out_row = out_dims[rank - 1];
    for (long o = 0; o < total; o += out_row) {
        long off = 0;
        for (int d = 0; d < rank - 1; d++) off += (idx[d] % shape[d]) * in_strides[d];
        for (long i = 0; i < out_row; i += row) memcpy(out + o + i, x + off, sizeof(float) * row);
        for (int d = rank - 2; d >= 0; d--) {
            if (++idx[d] < out_dims[d]) break;
            idx[d] = 0;
        }
    }
}

typedef struct {
    long c;
    const float *x;
    const float *mean, *offset;
    const double *ratio; /* per channel: scale / sqrt(var + eps) */
    float *out;
} bn_job;

static void bn_range(void *ctx, long lo, long hi, int slot)
{
    const bn_job *j = ctx;
    (void)slot;
    for (long r = lo; r < hi; r++) {
        const float *x = j->x + r * j->c;
        float *y = j->out + r * j->c;
        for (long k = 0; k < j->c; k++) y[k] = (float)(j->offset[k] + ((double)x[k] - j->mean[k]) * j->ratio[k]);
    }
}

/* y = offset + (x - mean) * scale / sqrt(var + eps) over rows of c channels; params already expanded to c */
void batchnorm(long rows, long c, const float *x, const float *mean, const float *var, const float *offset,
               const float *scale, float eps, float *out)
{
    double ratio[PQK_BN_MAX_CHANNELS];
    bn_job j = {c, x, mean, offset, ratio, out};
    for (long k = 0; k < c; k++) ratio[k] = (double)scale[k] / sqrt((double)var[k] + (double)eps);
    parallel_for(rows, 1 + (1L << 15) / c, bn_range, &j);
}
