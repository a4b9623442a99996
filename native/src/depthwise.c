/* DepthwiseConv2dNative and its two backprops as direct loops; output channel c * mult + m reads input channel c. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    const conv_geom *g;
    const float *x, *w, *dy;
    float *out;
} dw_job;

/* acc[c * mult + m] += a[c] * b[c * mult + m] over one pixel's channels */
static inline void madd_channels(int in_c, int mult, const float *restrict a, const float *restrict b,
                                 float *restrict acc)
{
    if (mult == 1) {
        for (int c = 0; c < in_c; c++) acc[c] += a[c] * b[c];
    } else {
        for (int c = 0; c < in_c; c++)
            for (int m = 0; m < mult; m++) acc[c * mult + m] += a[c] * b[c * mult + m];
    }
}

/* one output row (b, oh) per index */
static void forward_range(void *ctx, long lo, long hi, int slot)
{
    const dw_job *j = ctx;
    const conv_geom *g = j->g;
    (void)slot;
    for (long r = lo; r < hi; r++) {
        int b = (int)(r / g->out_h), oh = (int)(r % g->out_h);
        const float *xb = j->x + (long)b * g->in_h * g->in_w * g->in_c;
        for (int ow = 0; ow < g->out_w; ow++) {
            float *y = j->out + (r * g->out_w + ow) * g->out_c;
            memset(y, 0, sizeof(float) * g->out_c);
            FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
            {
                madd_channels(g->in_c, g->mult, xb + ((long)ih * g->in_w + iw) * g->in_c,
                              j->w + (long)(kh * g->fw + kw) * g->out_c, y);
            }
        }
    }
}

/* one image per index: dx[b] is written only by its own index */
static void backprop_input_range(void *ctx, long lo, long hi, int slot)
{
    const dw_job *j = ctx;
    const conv_geom *g = j->g;
    (void)slot;
    for (long b = lo; b < hi; b++) {
        float *dxb = j->out + b * g->in_h * g->in_w * g->in_c;
        memset(dxb, 0, sizeof(float) * g->in_h * g->in_w * g->in_c);
        for (int oh = 0; oh < g->out_h; oh++) {
            for (int ow = 0; ow < g->out_w; ow++) {
                const float *dy = j->dy + ((b * g->out_h + oh) * g->out_w + ow) * g->out_c;
                FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
                {
                    const float *w = j->w + (long)(kh * g->fw + kw) * g->out_c;
                    float *dx = dxb + ((long)ih * g->in_w + iw) * g->in_c;
                    if (g->mult == 1) {
                        for (int c = 0; c < g->in_c; c++) dx[c] += dy[c] * w[c];
                    } else {
                        for (int c = 0; c < g->in_c; c++)
                            for (int m = 0; m < g->mult; m++) dx[c] += dy[c * g->mult + m] * w[c * g->mult + m];
                    }
                }
            }
        }
    }
}

/* images per index; each slot sums into its own filter-sized partial */
static void backprop_filter_range(void *ctx, long lo, long hi, int slot)
{
    const dw_job *j = ctx;
    const conv_geom *g = j->g;
    const long wsize = (long)g->fh * g->fw * g->out_c;
    float *dw = j->out + wsize * slot;
    memset(dw, 0, sizeof(float) * wsize);
    for (long b = lo; b < hi; b++) {
        const float *xb = j->x + b * g->in_h * g->in_w * g->in_c;
        for (int oh = 0; oh < g->out_h; oh++) {
            for (int ow = 0; ow < g->out_w; ow++) {
                const float *dy = j->dy + ((b * g->out_h + oh) * g->out_w + ow) * g->out_c;
                FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
                {
                    madd_channels(g->in_c, g->mult, xb + ((long)ih * g->in_w + iw) * g->in_c, dy,
                                  dw + (long)(kh * g->fw + kw) * g->out_c);
                }
            }
        }
    }
}

void depthwise_forward(const conv_geom *g, const float *x, const float *w, float *y)
{
    dw_job j = {g, x, w, NULL, y};
    parallel_for((long)g->batch * g->out_h, 4, forward_range, &j);
}

void depthwise_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx)
{
    dw_job j = {g, NULL, w, dy, dx};
    parallel_for(g->batch, 1, backprop_input_range, &j);
}

void depthwise_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw)
{
    const long wsize = (long)g->fh * g->fw * g->out_c;
    float *partials = pqk_malloc(sizeof(float) * wsize * PQK_SLOTS);
    if (!partials) return;
    dw_job j = {g, x, NULL, dy, partials};
    parallel_slots(g->batch, 1, backprop_filter_range, &j);
    sum_slots(g->batch, partials, wsize, dw);
    free(partials);
}
