/* N-API entry points: each takes Float32Array inputs, an Int32Array of geometry, and a preallocated Float32Array
 * output. */
#include <cblas.h>
#include <malloc.h>
#include <node_api.h>
#include <stdlib.h>

#include "addon.h"
#include "kernels.h"

/* conv(kind, geom Int32Array(16), a, b, out): kind 0..2 = conv2d fwd/dx/dw, 3..5 = depthwise fwd/dx/dw */
static napi_value conv(napi_env env, napi_callback_info info)
{
    napi_value argv[5];
    int kind, *p;
    float *a, *b, *out;
    size_t np, na, nb, nout;
    CHECK(env, get_args(env, info, 5, argv) && get_int(env, argv[0], &kind), "conv(kind, geom, a, b, out)");
    CHECK(env, typed(env, argv[1], napi_int32_array, (void **)&p, &np) && np == 16,
          "conv: geom must be Int32Array(16)");
    CHECK(env,
          typed(env, argv[2], napi_float32_array, (void **)&a, &na) &&
              typed(env, argv[3], napi_float32_array, (void **)&b, &nb) &&
              typed(env, argv[4], napi_float32_array, (void **)&out, &nout),
          "conv: a, b, out must be Float32Array");
    conv_geom g = {p[0], p[1], p[2],  p[3],  p[4],  p[5],  p[6],  p[7],
                   p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]};
    size_t nx = (size_t)g.batch * g.in_h * g.in_w * g.in_c, ny = (size_t)g.batch * g.out_h * g.out_w * g.out_c;
    size_t nw = (size_t)g.fh * g.fw * g.in_c * (kind < 3 ? g.out_c : g.mult);
    size_t want[6][3] = {{nx, nw, ny}, {ny, nw, nx}, {nx, ny, nw}, {nx, nw, ny}, {ny, nw, nx}, {nx, ny, nw}};
    CHECK(env, kind >= 0 && kind < 6, "conv: kind must be 0..5");
    CHECK(env, na == want[kind][0] && nb == want[kind][1] && nout == want[kind][2],
          "conv: array sizes do not match geom");
    CHECK(env, kind < 3 || g.out_c == g.in_c * g.mult, "conv: depthwise out_c must be in_c * mult");
    switch (kind) {
    case 0:
        conv2d_forward(&g, a, b, out);
        break;
    case 1:
        conv2d_backprop_input(&g, a, b, out);
        break;
    case 2:
        conv2d_backprop_filter(&g, a, b, out);
        break;
    case 3:
        depthwise_forward(&g, a, b, out);
        break;
    case 4:
        depthwise_backprop_input(&g, a, b, out);
        break;
    default:
        depthwise_backprop_filter(&g, a, b, out);
        break;
    }
    CHECK_MEMORY(env, "conv");
    return NULL;
}

/* matmul(p Int32Array [batch, m, n, k, transA, transB, aBatchStride, bBatchStride], a, b, out) */
static napi_value matmul(napi_env env, napi_callback_info info)
{
    napi_value argv[4];
    int *p;
    float *a, *b, *out;
    size_t np, na, nb, nout;
    CHECK(env, get_args(env, info, 4, argv), "matmul(params, a, b, out)");
    CHECK(env, typed(env, argv[0], napi_int32_array, (void **)&p, &np) && np == 8,
          "matmul: params must be Int32Array(8)");
    CHECK(env,
          typed(env, argv[1], napi_float32_array, (void **)&a, &na) &&
              typed(env, argv[2], napi_float32_array, (void **)&b, &nb) &&
              typed(env, argv[3], napi_float32_array, (void **)&out, &nout),
          "matmul: a, b, out must be Float32Array");
    size_t batch = p[0], m = p[1], n = p[2], k = p[3];
    CHECK(env, nout == batch * m * n && na == (batch - 1) * p[6] + m * k && nb == (batch - 1) * p[7] + k * n,
          "matmul: array sizes do not match params");
    batch_matmul(p[0], p[1], p[2], p[3], p[4], p[5], a, p[6], b, p[7], out);
    CHECK_MEMORY(env, "matmul");
    return NULL;
}

/* binary(op, outShape, a, aShape, b, bShape, out): shapes already padded to one rank */
static napi_value binary(napi_env env, napi_callback_info info)
{
    napi_value argv[7];
    int op, *os, *as, *bs;
    float *a, *b, *out;
    size_t r0, r1, r2, na, nb, nout;
    CHECK(env, get_args(env, info, 7, argv) && get_int(env, argv[0], &op),
          "binary(op, outShape, a, aShape, b, bShape, out)");
    CHECK(env,
          typed(env, argv[1], napi_int32_array, (void **)&os, &r0) &&
              typed(env, argv[3], napi_int32_array, (void **)&as, &r1) &&
              typed(env, argv[5], napi_int32_array, (void **)&bs, &r2) && r0 == r1 && r0 == r2 && r0 <= PQK_MAX_RANK,
          "binary: shapes must be Int32Arrays of one rank <= 8");
    CHECK(env,
          typed(env, argv[2], napi_float32_array, (void **)&a, &na) &&
              typed(env, argv[4], napi_float32_array, (void **)&b, &nb) &&
              typed(env, argv[6], napi_float32_array, (void **)&out, &nout),
          "binary: a, b, out must be Float32Array");
    CHECK(env, na == shape_size(as, r0) && nb == shape_size(bs, r0) && nout == shape_size(os, r0),
          "binary: sizes do not match shapes");
    if (nout > 0) binary_broadcast(op, (int)r0, os, a, as, b, bs, out);
    CHECK_MEMORY(env, "binary");
    return NULL;
}

/* reduce(op, shape, reducedFlags, x, out) */
static napi_value reduce(napi_env env, napi_callback_info info)
{
    napi_value argv[5];
    int op, *shape, *red;
    float *x, *out;
    size_t r0, r1, nx, nout;
    CHECK(env, get_args(env, info, 5, argv) && get_int(env, argv[0], &op), "reduce(op, shape, reduced, x, out)");
    CHECK(env,
          typed(env, argv[1], napi_int32_array, (void **)&shape, &r0) &&
              typed(env, argv[2], napi_int32_array, (void **)&red, &r1) && r0 == r1 && r0 <= PQK_MAX_RANK,
          "reduce: shape and reduced must be Int32Arrays of one rank <= 8");
    CHECK(env,
          typed(env, argv[3], napi_float32_array, (void **)&x, &nx) &&
              typed(env, argv[4], napi_float32_array, (void **)&out, &nout),
          "reduce: x, out must be Float32Array");
    size_t want_out = 1;
    for (size_t d = 0; d < r0; d++) want_out *= red[d] ? 1 : (size_t)shape[d];
    CHECK(env, nx == shape_size(shape, r0) && nx > 0 && nout == want_out, "reduce: sizes do not match shape");
    reduce_axes(op, (int)r0, shape, red, x, out);
    CHECK_MEMORY(env, "reduce");
    return NULL;
}

/* shape and a second Int32Array of the same rank 1..8 (perm, reps), then x and out */
static int shape_args(napi_env env, napi_value *argv, int **shape, int **other, size_t *rank, float **f, size_t *nf)
{
    size_t r1;
    return typed(env, argv[0], napi_int32_array, (void **)shape, rank) &&
           typed(env, argv[1], napi_int32_array, (void **)other, &r1) && *rank == r1 && *rank >= 1 &&
           *rank <= PQK_MAX_RANK && f32_args(env, argv + 2, 2, f, nf);
}

/* transpose(shape, perm, x, out) */
static napi_value transpose_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[4];
    int *shape, *perm;
    float *f[2];
    size_t r, n[2];
    CHECK(env, get_args(env, info, 4, argv) && shape_args(env, argv, &shape, &perm, &r, f, n),
          "transpose(shape Int32Array, perm Int32Array of one rank 1..8, x Float32Array, out Float32Array)");
    CHECK(env, n[0] == n[1] && n[0] == shape_size(shape, r), "transpose: x, out must have the shape's size");
    for (size_t d = 0; d < r; d++) CHECK(env, perm[d] >= 0 && (size_t)perm[d] < r, "transpose: perm out of range");
    transpose((int)r, shape, perm, f[0], f[1]);
    CHECK_MEMORY(env, "transpose");
    return NULL;
}

/* unary(op, x, p0, p1, out) */
static napi_value unary_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[5];
    int op;
    double p0, p1;
    float *x, *out;
    size_t nx, nout;
    CHECK(env,
          get_args(env, info, 5, argv) && get_int(env, argv[0], &op) &&
              napi_get_value_double(env, argv[2], &p0) == napi_ok &&
              napi_get_value_double(env, argv[3], &p1) == napi_ok,
          "unary(op, x, p0, p1, out)");
    CHECK(env,
          typed(env, argv[1], napi_float32_array, (void **)&x, &nx) &&
              typed(env, argv[4], napi_float32_array, (void **)&out, &nout) && nx == nout,
          "unary: x, out must be Float32Arrays of one size");
    unary(op, (long)nx, x, (float)p0, (float)p1, out);
    CHECK_MEMORY(env, "unary");
    return NULL;
}

/* clipGrad(dy, x, lo, hi, out) */
static napi_value clip_grad_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[5];
    double lo, hi;
    float *dy, *x, *out;
    size_t ndy, nx, nout;
    CHECK(env,
          get_args(env, info, 5, argv) && napi_get_value_double(env, argv[2], &lo) == napi_ok &&
              napi_get_value_double(env, argv[3], &hi) == napi_ok,
          "clipGrad(dy, x, lo, hi, out)");
    CHECK(env,
          typed(env, argv[0], napi_float32_array, (void **)&dy, &ndy) &&
              typed(env, argv[1], napi_float32_array, (void **)&x, &nx) &&
              typed(env, argv[4], napi_float32_array, (void **)&out, &nout) && ndy == nx && nout == nx,
          "clipGrad: dy, x, out must be Float32Arrays of one size");
    clip_grad((long)nx, dy, x, (float)lo, (float)hi, out);
    CHECK_MEMORY(env, "clipGrad");
    return NULL;
}

/* tile(shape, reps, x, out) */
static napi_value tile_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[4];
    int *shape, *reps;
    float *f[2];
    size_t r, n[2];
    CHECK(env, get_args(env, info, 4, argv) && shape_args(env, argv, &shape, &reps, &r, f, n),
          "tile(shape Int32Array, reps Int32Array of one rank 1..8, x Float32Array, out Float32Array)");
    CHECK(env, n[0] == shape_size(shape, r) && n[1] == n[0] * shape_size(reps, r), "tile: sizes do not match");
    tile((int)r, shape, reps, f[0], f[1]);
    CHECK_MEMORY(env, "tile");
    return NULL;
}

/* pool(kind, geom, x, dy, out): dy may be an empty Float32Array for the forward kinds */
static napi_value pool_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[5];
    int kind, *p;
    float *x, *dy, *out;
    size_t np, nx, ndy, nout;
    CHECK(env, get_args(env, info, 5, argv) && get_int(env, argv[0], &kind) && kind >= 0 && kind < 4,
          "pool(kind 0..3, geom, x, dy, out)");
    CHECK(env, typed(env, argv[1], napi_int32_array, (void **)&p, &np) && np == 16,
          "pool: geom must be Int32Array(16)");
    CHECK(env,
          typed(env, argv[2], napi_float32_array, (void **)&x, &nx) &&
              typed(env, argv[3], napi_float32_array, (void **)&dy, &ndy) &&
              typed(env, argv[4], napi_float32_array, (void **)&out, &nout),
          "pool: x, dy, out must be Float32Array");
    conv_geom g = {p[0], p[1], p[2],  p[3],  p[4],  p[5],  p[6],  p[7],
                   p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]};
    size_t nin = (size_t)g.batch * g.in_h * g.in_w * g.in_c, nres = (size_t)g.batch * g.out_h * g.out_w * g.in_c;
    CHECK(env, g.in_c == g.out_c && g.in_c <= PQK_BN_MAX_CHANNELS,
          "pool: channels in and out must match, at most 4096");
    CHECK(env, kind < 2 ? (nx == nin && nout == nres) : (ndy == nres && nout == nin && (kind == 2 || nx == nin)),
          "pool: array sizes do not match geom");
    pool2d(kind, &g, kind == 2 ? NULL : x, dy, out);
    CHECK_MEMORY(env, "pool");
    return NULL;
}

/* fixedPoint(rounding 0..2, acc, m, out): m has the channel count (acc's last dim) or one value for all */
static napi_value fixed_point_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[4];
    int rounding;
    float *f[3];
    size_t n[3];
    CHECK(env,
          get_args(env, info, 4, argv) && get_int(env, argv[0], &rounding) && rounding >= FP_TIES_UP &&
              rounding <= FP_SINGLE,
          "fixedPoint(rounding 0..2, acc, m, out)");
    CHECK(env, f32_args(env, argv + 1, 3, f, n), "fixedPoint: acc, m, out must be Float32Array");
    CHECK(env, n[1] > 0 && n[0] % n[1] == 0 && n[2] == n[0],
          "fixedPoint: m's size must divide acc's; out must have acc's size");
    CHECK(env, fixed_point_scale((long)(n[0] / n[1]), (long)n[1], rounding, f[0], f[1], f[2]),
          "fixedPoint: out of memory");
    CHECK_MEMORY(env, "fixedPoint");
    return NULL;
}

/* quantAdd(params Int32Array(6), a, b, out) */
static napi_value quant_add_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[4];
    int32_t *p;
    float *f[3];
    size_t np, n[3];
    CHECK(env, get_args(env, info, 4, argv) && typed(env, argv[0], napi_int32_array, (void **)&p, &np) && np == 6,
          "quantAdd(params Int32Array(6), a, b, out)");
    CHECK(env, f32_args(env, argv + 1, 3, f, n), "quantAdd: a, b, out must be Float32Array");
    CHECK(env, n[1] == n[0] && n[2] == n[0], "quantAdd: a, b, out must have one size");
    CHECK(env, p[1] <= 0 && p[1] >= -31 && p[3] <= 0 && p[3] >= -31 && p[5] <= 0 && p[5] >= -31,
          "quantAdd: shifts must be in [-31, 0]");
    quant_add(p, (long)n[0], f[0], f[1], f[2]);
    CHECK_MEMORY(env, "quantAdd");
    return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info)
{
    napi_value v;
    (void)info;
    napi_create_int32(env, parallel_threads(), &v);
    return v;
}

static napi_value init(napi_env env, napi_value exports)
{
    /* all parallelism comes from parallel_for; sgemm runs inside it on one thread */
    openblas_set_num_threads(1);
    /* tensors of a few MB come and go every kernel: keep them on the heap instead of fresh, page-faulting mmaps */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    napi_property_descriptor props[] = {
        {"conv", NULL, conv, NULL, NULL, NULL, napi_default, NULL},
        {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
        {"binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL},
        {"reduce", NULL, reduce, NULL, NULL, NULL, napi_default, NULL},
        {"transpose", NULL, transpose_fn, NULL, NULL, NULL, napi_default, NULL},
        {"unary", NULL, unary_fn, NULL, NULL, NULL, napi_default, NULL},
        {"clipGrad", NULL, clip_grad_fn, NULL, NULL, NULL, napi_default, NULL},
        {"tile", NULL, tile_fn, NULL, NULL, NULL, napi_default, NULL},
        {"batchnorm", NULL, batchnorm_fn, NULL, NULL, NULL, napi_default, NULL},
        {"pool", NULL, pool_fn, NULL, NULL, NULL, napi_default, NULL},
        {"bnTrainForward", NULL, bn_train_fwd_fn, NULL, NULL, NULL, napi_default, NULL},
        {"bnTrainBackward", NULL, bn_train_bwd_fn, NULL, NULL, NULL, napi_default, NULL},
        {"bnGrad", NULL, bn_grad_fn, NULL, NULL, NULL, napi_default, NULL},
        {"fixedPoint", NULL, fixed_point_fn, NULL, NULL, NULL, napi_default, NULL},
        {"quantAdd", NULL, quant_add_fn, NULL, NULL, NULL, napi_default, NULL},
        {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
