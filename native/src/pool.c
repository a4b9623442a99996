/* AvgPool / MaxPool and their gradients with the JS backend's semantics, one image per parallel index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    int kind;
    const conv_geom *g;
    const float *x, *dy;
    float *out;
} pool_job;

/* one output pixel of image xb: avg over in-bounds inputs, or max (first strict maximum wins) */
static void pool_pixel(const pool_job *j, const float *xb, int oh, int ow, double *acc, float *y)
{
    const conv_geom *g = j->g;
    const int c = g->in_c, is_max = j->kind == 1;
    int count = 0;
    for (int k = 0; k < c; k++) acc[k] = is_max ? -INFINITY : 0.0;
    FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
    {
        const float *px = xb + ((long)ih * g->in_w + iw) * c;
        count++;
        if (is_max)
            for (int k = 0; k < c; k++) acc[k] = px[k] > acc[k] ? px[k] : acc[k];
        else
            for (int k = 0; k < c; k++) acc[k] += px[k];
    }
    for (int k = 0; k < c; k++) y[k] = (float)(is_max ? acc[k] : acc[k] / count);
}

/* gradient of one output pixel into dxb: spread evenly (avg, over the whole filter as tfjs does) or to the argmax */
static void pool_pixel_grad(const pool_job *j, const float *xb, const float *dy, int oh, int ow, int *arg, float *dxb)
{
    const conv_geom *g = j->g;
    const int c = g->in_c;
    const float share = 1.0f / (float)(g->fh * g->fw);
    float best[PQK_BN_MAX_CHANNELS];
    for (int k = 0; k < c; k++) best[k] = -INFINITY, arg[k] = -1;
    FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
    {
        long at = ((long)ih * g->in_w + iw) * c;
        if (j->kind == 2) {
            for (int k = 0; k < c; k++) dxb[at + k] += dy[k] * share;
        } else {
            const float *px = xb + at;
            for (int k = 0; k < c; k++)
                if (px[k] > best[k]) best[k] = px[k], arg[k] = (int)at + k;
        }
    }
    if (j->kind == 3)
        for (int k = 0; k < c; k++)
            if (arg[k] >= 0) dxb[arg[k]] += dy[k];
}

static void pool_range(void *ctx, long lo, long hi, int slot)
{
    const pool_job *j = ctx;
    const conv_geom *g = j->g;
    const long in_img = (long)g->in_h * g->in_w * g->in_c, out_img = (long)g->out_h * g->out_w * g->in_c;
    double *acc = pqk_malloc(sizeof(double) * g->in_c);
    int *arg = pqk_malloc(sizeof(int) * g->in_c);
    (void)slot;
    if (!acc || !arg) {
        free(acc);
        free(arg);
        return;
    }
    for (long b = lo; b < hi; b++) {
        const float *xb = j->x ? j->x + b * in_img : NULL;
        if (j->kind >= 2) memset(j->out + b * in_img, 0, sizeof(float) * in_img);
        for (int oh = 0; oh < g->out_h; oh++)
            for (int ow = 0; ow < g->out_w; ow++) {
                long o = b * out_img + ((long)oh * g->out_w + ow) * g->in_c;
                if (j->kind < 2)
                    pool_pixel(j, xb, oh, ow, acc, j->out + o);
                else
                    pool_pixel_grad(j, xb, j->dy + o, oh, ow, arg, j->out + b * in_img);
            }
    }
    free(acc);
    free(arg);
}

void pool2d(int kind, const conv_geom *g, const float *x, const float *dy, float *out)
{
    pool_job j = {kind, g, x, dy, out};
    parallel_for(g->batch, 1, pool_range, &j);
}
