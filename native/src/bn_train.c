/* Batch norm in training mode (batch statistics), optionally followed by ReLU, forward and backward in few passes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    long rows, c;
    int relu;
    const float *x, *dy, *y, *gamma, *beta;
    const double *mean, *invstd, *k1, *k2; /* per channel */
    double *part;                          /* per slot: 2 * c partial sums */
    float *out;
} bnt_job;

/* slot partials: sum x and sum (x - mean)^2 when mean is known */
static void stats_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    double *s = j->part + slot * 2 * j->c;
    for (long r = lo; r < hi; r++) {
        const float *x = j->x + r * j->c;
        if (!j->mean)
            for (long k = 0; k < j->c; k++) s[k] += x[k];
        else
            for (long k = 0; k < j->c; k++) {
                double d = x[k] - j->mean[k];
                s[j->c + k] += d * d;
            }
    }
}

/* y = relu?(gamma * (x - mean) * invstd + beta), with k1 = gamma * invstd, k2 = beta - mean * k1 */
static void normalize_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    (void)slot;
    for (long r = lo; r < hi; r++) {
        const float *x = j->x + r * j->c;
        float *y = j->out + r * j->c;
        for (long k = 0; k < j->c; k++) {
            float v = (float)(x[k] * j->k1[k] + j->k2[k]);
            y[k] = j->relu && v < 0 ? 0 : v;
        }
    }
}

static void run_sums(bnt_job *j, range_fn fn)
{
    memset(j->part, 0, sizeof(double) * 2 * j->c * PQK_SLOTS);
    parallel_slots(j->rows, 1 + (1L << 14) / j->c, fn, j);
    for (int s = 1; s < PQK_SLOTS; s++)
        for (long k = 0; k < 2 * j->c; k++) j->part[k] += j->part[s * 2 * j->c + k];
}

void bn_train_forward(long rows, long c, const float *x, const float *gamma, const float *beta, float eps, int relu,
                      float *y, float *mean, float *var, float *invstd)
{
    double *buf = pqk_malloc(sizeof(double) * c * (4 + 2 * PQK_SLOTS));
    if (!buf) return;
    double *m = buf, *is = buf + c, *k1 = buf + 2 * c, *k2 = buf + 3 * c;
    bnt_job j = {.rows = rows, .c = c, .relu = relu, .x = x, .part = buf + 4 * c, .out = y};
    run_sums(&j, stats_range);
    for (long k = 0; k < c; k++) m[k] = j.part[k] / (double)rows;
    j.mean = m;
    run_sums(&j, stats_range);
    for (long k = 0; k < c; k++) {
        double v = j.part[c + k] / (double)rows;
        is[k] = 1.0 / sqrt(v + (double)eps);
        mean[k] = (float)m[k], var[k] = (float)v, invstd[k] = (float)is[k];
        k1[k] = gamma[k] * is[k];
        k2[k] = beta[k] - m[k] * k1[k];
    }
    j.k1 = k1, j.k2 = k2;
    parallel_for(rows, 1 + (1L << 14) / c, normalize_range, &j);
    free(buf);
}

/* g = dy masked by the ReLU (y > 0), branch-free so the channel loop vectorises */
static inline void masked(long c, int relu, const float *restrict dy, const float *restrict y, float *restrict g)
{
    if (relu)
        for (long k = 0; k < c; k++) g[k] = y[k] > 0 ? dy[k] : 0.0f;
    else
        memcpy(g, dy, sizeof(float) * c);
}

/* slot partials: sum g and sum g * xhat */
static void grad_sums_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    const long c = j->c;
    double *restrict sg = j->part + slot * 2 * c, *restrict sgx = sg + c;
    const double *restrict mean = j->mean, *restrict invstd = j->invstd;
    float g[PQK_BN_MAX_CHANNELS];
    for (long r = lo; r < hi; r++) {
        const float *restrict x = j->x + r * c;
        masked(c, j->relu, j->dy + r * c, j->y + r * c, g);
        for (long k = 0; k < c; k++) {
            sg[k] += g[k];
            sgx[k] += g[k] * (x[k] - mean[k]) * invstd[k];
        }
    }
}

/* dx = gamma * invstd * (g - dbeta / n - xhat * dgamma / n) */
static void grad_dx_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    const long c = j->c;
    const double n = (double)j->rows;
    double a[PQK_BN_MAX_CHANNELS], b[PQK_BN_MAX_CHANNELS], d[PQK_BN_MAX_CHANNELS];
    float g[PQK_BN_MAX_CHANNELS];
    (void)slot;
    /* dx = a * g + b * x + d per channel, folding the per-channel constants once */
    for (long k = 0; k < c; k++) {
        double db = j->part[k] / n, dg = j->part[c + k] / n, is = j->invstd[k];
        a[k] = j->k1[k];
        b[k] = -j->k1[k] * dg * is;
        d[k] = -j->k1[k] * (db - dg * is * j->mean[k]);
    }
    for (long r = lo; r < hi; r++) {
        const float *restrict x = j->x + r * c;
        float *restrict dx = j->out + r * c;
        masked(c, j->relu, j->dy + r * c, j->y + r * c, g);
        for (long k = 0; k < c; k++) dx[k] = (float)(a[k] * g[k] + b[k] * x[k] + d[k]);
    }
}

void bn_train_backward(long rows, long c, const float *dy, const float *x, const float *y, const float *mean,
                       const float *invstd, const float *gamma, int relu, float *dx, float *dgamma, float *dbeta)
{
    double *buf = pqk_malloc(sizeof(double) * c * (3 + 2 * PQK_SLOTS));
    if (!buf) return;
    double *m = buf, *is = buf + c, *k1 = buf + 2 * c;
    for (long k = 0; k < c; k++) m[k] = mean[k], is[k] = invstd[k], k1[k] = (double)gamma[k] * invstd[k];
    bnt_job j = {.rows = rows,
                 .c = c,
                 .relu = relu,
                 .x = x,
                 .dy = dy,
                 .y = y,
                 .mean = m,
                 .invstd = is,
                 .k1 = k1,
                 .part = buf + 3 * c,
                 .out = dx};
    run_sums(&j, grad_sums_range);
    for (long k = 0; k < c; k++) dbeta[k] = (float)j.part[k], dgamma[k] = (float)j.part[c + k];
    parallel_for(rows, 1 + (1L << 14) / c, grad_dx_range, &j);
    free(buf);
}

/* slot partials: sum dy and sum dy * (x - mean), for the inference-form batch norm's gradient */
static void bn_grad_sums_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    const long c = j->c;
    double *restrict sdy = j->part + slot * 2 * c, *restrict sdyx = sdy + c;
    const double *restrict mean = j->mean;
    for (long r = lo; r < hi; r++) {
        const float *restrict x = j->x + r * c, *restrict dy = j->dy + r * c;
        for (long k = 0; k < c; k++) {
            sdy[k] += dy[k];
            sdyx[k] += dy[k] * (x[k] - mean[k]);
        }
    }
}

static void bn_grad_dx_range(void *ctx, long lo, long hi, int slot)
{
    const bnt_job *j = ctx;
    const long c = j->c;
    (void)slot;
    for (long r = lo; r < hi; r++) {
        const float *restrict dy = j->dy + r * c;
        float *restrict dx = j->out + r * c;
        for (long k = 0; k < c; k++) dx[k] = (float)(dy[k] * j->k1[k]);
    }
}

/* gradients of y = (x - mean) * scale / sqrt(var + eps) + offset with per-channel mean, var, scale */
void bn_grad(long rows, long c, const float *dy, const float *x, const float *mean, const float *var,
             const float *scale, float eps, float *dx, float *dmean, float *dvar, float *dscale, float *doffset)
{
    double *buf = pqk_malloc(sizeof(double) * c * (3 + 2 * PQK_SLOTS));
    if (!buf) return;
    double *m = buf, *is = buf + c, *k1 = buf + 2 * c;
    for (long k = 0; k < c; k++) {
        m[k] = mean[k];
        is[k] = 1.0 / sqrt((double)var[k] + (double)eps);
        k1[k] = (double)scale[k] * is[k];
    }
    bnt_job j = {
        .rows = rows, .c = c, .x = x, .dy = dy, .mean = m, .invstd = is, .k1 = k1, .part = buf + 3 * c, .out = dx};
    run_sums(&j, bn_grad_sums_range);
    for (long k = 0; k < c; k++) {
        double sdy = j.part[k], sdyx = j.part[c + k];
        dmean[k] = (float)(-k1[k] * sdy);
        dvar[k] = (float)(-0.5 * scale[k] * is[k] * is[k] * is[k] * sdyx);
        dscale[k] = (float)(is[k] * sdyx);
        doffset[k] = (float)sdy;
    }
    parallel_for(rows, 1 + (1L << 14) / c, bn_grad_dx_range, &j);
    free(buf);
}
