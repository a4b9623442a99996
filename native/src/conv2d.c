/* Conv2D and its two backprops as im2col + sgemm, split over images across threads. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* rows of the im2col matrix handled per sgemm call: big enough for sgemm, small enough for cache */
#define ROWS_PER_TILE 1024

static int is_pointwise(const conv_geom *g)
{
    return g->fh == 1 && g->fw == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 && g->pad_left == 0 &&
           g->out_h == g->in_h && g->out_w == g->in_w;
}

/* col: (n_img * out_h * out_w, fh * fw * in_c) for images [img0, img0 + n_img) */
static void im2col(const conv_geom *g, const float *x, int img0, int n_img, float *col)
{
    const int k = g->fh * g->fw * g->in_c;
    for (int b = 0; b < n_img; b++) {
        const float *xb = x + (long)(img0 + b) * g->in_h * g->in_w * g->in_c;
        for (int oh = 0; oh < g->out_h; oh++) {
            for (int ow = 0; ow < g->out_w; ow++) {
                float *row = col + ((long)(b * g->out_h + oh) * g->out_w + ow) * k;
                for (int kh = 0; kh < g->fh; kh++) {
                    int ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
                    for (int kw = 0; kw < g->fw; kw++) {
                        int iw = ow * g->stride_w - g->pad_left + kw * g->dil_w;
                        float *dst = row + (kh * g->fw + kw) * g->in_c;
                        if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w)
                            memset(dst, 0, sizeof(float) * g->in_c);
                        else
                            memcpy(dst, xb + ((long)ih * g->in_w + iw) * g->in_c, sizeof(float) * g->in_c);
                    }
                }
            }
        }
    }
}

/* dx[img0 ..] += col2im(dcol); dx rows of these images must start zeroed */
static void col2im(const conv_geom *g, const float *dcol, int img0, int n_img, float *dx)
{
    const int k = g->fh * g->fw * g->in_c;
    for (int b = 0; b < n_img; b++) {
        float *xb = dx + (long)(img0 + b) * g->in_h * g->in_w * g->in_c;
        for (int oh = 0; oh < g->out_h; oh++) {
            for (int ow = 0; ow < g->out_w; ow++) {
                const float *row = dcol + ((long)(b * g->out_h + oh) * g->out_w + ow) * k;
                FOR_WINDOW(g, oh, ow, kh, kw, ih, iw)
                {
                    const float *src = row + (kh * g->fw + kw) * g->in_c;
                    float *dst = xb + ((long)ih * g->in_w + iw) * g->in_c;
                    for (int c = 0; c < g->in_c; c++) dst[c] += src[c];
                }
            }
        }
    }
}

typedef struct {
    const conv_geom *g;
    const float *x, *w, *dy;
    float *out;    /* y, dx, or per-slot dw partials */
    int imgs_tile; /* images per sgemm tile */
} conv_job;

static int images_per_tile(const conv_geom *g)
{
    int rows = g->out_h * g->out_w;
    int n = rows >= ROWS_PER_TILE ? 1 : ROWS_PER_TILE / rows;
    return n > g->batch ? g->batch : n;
}

static void forward_range(void *ctx, long lo, long hi, int slot)
{
    conv_job *j = ctx;
    const conv_geom *g = j->g;
    const int k = g->fh * g->fw * g->in_c, pix = g->out_h * g->out_w;
    float *col = is_pointwise(g) ? NULL : pqk_malloc(sizeof(float) * j->imgs_tile * pix * k);
    if (!is_pointwise(g) && !col) return;
    for (long t = lo; t < hi; t++) {
        int img0 = (int)t * j->imgs_tile, n = g->batch - img0 < j->imgs_tile ? g->batch - img0 : j->imgs_tile;
        const float *a = col ? col : j->x + (long)img0 * pix * k;
        if (col) im2col(g, j->x, img0, n, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n * pix, g->out_c, k, 1.0f, a, k, j->w, g->out_c, 0.0f,
                    j->out + (long)img0 * pix * g->out_c, g->out_c);
    }
    free(col);
}

static void backprop_input_range(void *ctx, long lo, long hi, int slot)
{
    conv_job *j = ctx;
    const conv_geom *g = j->g;
    const int k = g->fh * g->fw * g->in_c, pix = g->out_h * g->out_w;
    const int pointwise = is_pointwise(g);
    float *dcol = pointwise ? NULL : pqk_malloc(sizeof(float) * j->imgs_tile * pix * k);
    if (!pointwise && !dcol) return;
    for (long t = lo; t < hi; t++) {
        int img0 = (int)t * j->imgs_tile, n = g->batch - img0 < j->imgs_tile ? g->batch - img0 : j->imgs_tile;
        float *c = pointwise ? j->out + (long)img0 * pix * k : dcol;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n * pix, k, g->out_c, 1.0f,
                    j->dy + (long)img0 * pix * g->out_c, g->out_c, j->w, g->out_c, 0.0f, c, k);
        if (!pointwise) {
            memset(j->out + (long)img0 * g->in_h * g->in_w * g->in_c, 0,
                   sizeof(float) * n * g->in_h * g->in_w * g->in_c);
            col2im(g, dcol, img0, n, j->out);
        }
    }
    free(dcol);
}

static void backprop_filter_range(void *ctx, long lo, long hi, int slot)
{
    conv_job *j = ctx;
    const conv_geom *g = j->g;
    const int k = g->fh * g->fw * g->in_c, pix = g->out_h * g->out_w;
    const long wsize = (long)k * g->out_c;
    float *dw = j->out + wsize * slot;
    float *col = is_pointwise(g) ? NULL : pqk_malloc(sizeof(float) * j->imgs_tile * pix * k);
    if (!is_pointwise(g) && !col) return;
    for (long t = lo; t < hi; t++) {
        int img0 = (int)t * j->imgs_tile, n = g->batch - img0 < j->imgs_tile ? g->batch - img0 : j->imgs_tile;
        const float *a = col ? col : j->x + (long)img0 * pix * k;
        if (col) im2col(g, j->x, img0, n, col);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, g->out_c, n * pix, 1.0f, a, k,
                    j->dy + (long)img0 * pix * g->out_c, g->out_c, t == lo ? 0.0f : 1.0f, dw, g->out_c);
    }
    free(col);
}

static conv_job make_job(const conv_geom *g, const float *x, const float *w, const float *dy, float *out)
{
    conv_job j = {g, x, w, dy, out, images_per_tile(g)};
    return j;
}

static long n_tiles(const conv_job *j)
{
    return (j->g->batch + j->imgs_tile - 1) / j->imgs_tile;
}

void conv2d_forward(const conv_geom *g, const float *x, const float *w, float *y)
{
    conv_job j = make_job(g, x, w, NULL, y);
    parallel_for(n_tiles(&j), 1, forward_range, &j);
}

void conv2d_backprop_input(const conv_geom *g, const float *dy, const float *w, float *dx)
{
    conv_job j = make_job(g, NULL, w, dy, dx);
    parallel_for(n_tiles(&j), 1, backprop_input_range, &j);
}

void conv2d_backprop_filter(const conv_geom *g, const float *x, const float *dy, float *dw)
{
    const long wsize = (long)g->fh * g->fw * g->in_c * g->out_c;
    float *partials = pqk_malloc(sizeof(float) * wsize * PQK_SLOTS);
    if (!partials) return;
    conv_job j = make_job(g, x, NULL, dy, partials);
    const long tiles = n_tiles(&j);
    parallel_slots(tiles, 1, backprop_filter_range, &j);
    sum_slots(tiles, partials, wsize, dw);
    free(partials);
}
