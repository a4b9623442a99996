/* N-API entry points of the batch-norm kernels (inference form, its gradient, and the fused training form). */
#include "addon.h"
#include "kernels.h"

/* batchnorm(x, mean, variance, offset, scale, eps, out): params have the channel count (last dim) */
napi_value batchnorm_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[7];
    float *x, *p[4], *out;
    size_t nx, np[4], nout;
    double eps;
    CHECK(env, get_args(env, info, 7, argv) && napi_get_value_double(env, argv[5], &eps) == napi_ok,
          "batchnorm(x, mean, variance, offset, scale, eps, out)");
    CHECK(env,
          typed(env, argv[0], napi_float32_array, (void **)&x, &nx) &&
              typed(env, argv[6], napi_float32_array, (void **)&out, &nout) && nx == nout,
          "batchnorm: x, out must be Float32Arrays of one size");
    for (int i = 0; i < 4; i++)
        CHECK(env, typed(env, argv[1 + i], napi_float32_array, (void **)&p[i], &np[i]) && np[i] == np[0],
              "batchnorm: mean, variance, offset, scale must be Float32Arrays of one size");
    CHECK(env, np[0] > 0 && np[0] <= PQK_BN_MAX_CHANNELS && nx % np[0] == 0,
          "batchnorm: channels must divide x, at most 4096");
    batchnorm((long)(nx / np[0]), (long)np[0], x, p[0], p[1], p[2], p[3], (float)eps, out);
    CHECK_MEMORY(env, "batchnorm");
    return NULL;
}

/* bnTrainForward(relu, eps, x, gamma, beta, y, mean, var, invstd) */
napi_value bn_train_fwd_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[9];
    int relu;
    double eps;
    float *p[7];
    size_t n[7];
    CHECK(env,
          get_args(env, info, 9, argv) && get_int(env, argv[0], &relu) &&
              napi_get_value_double(env, argv[1], &eps) == napi_ok,
          "bnTrainForward(relu, eps, x, gamma, beta, y, mean, var, invstd)");
    CHECK(env, f32_args(env, argv + 2, 7, p, n), "bnTrainForward: arrays must be Float32Array");
    size_t c = n[1];
    CHECK(env,
          c > 0 && c <= PQK_BN_MAX_CHANNELS && n[0] > 0 && n[0] % c == 0 && n[3] == n[0] && n[2] == c && n[4] == c &&
              n[5] == c && n[6] == c,
          "bnTrainForward: x, y must be (rows, c); gamma, beta, mean, var, invstd (c)");
    bn_train_forward((long)(n[0] / c), (long)c, p[0], p[1], p[2], (float)eps, relu, p[3], p[4], p[5], p[6]);
    CHECK_MEMORY(env, "bn_train_fwd");
    return NULL;
}

/* bnTrainBackward(relu, dy, x, y, mean, invstd, gamma, dx, dgamma, dbeta) */
napi_value bn_train_bwd_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[10];
    int relu;
    float *p[9];
    size_t n[9];
    CHECK(env, get_args(env, info, 10, argv) && get_int(env, argv[0], &relu),
          "bnTrainBackward(relu, dy, x, y, mean, invstd, gamma, dx, dgamma, dbeta)");
    CHECK(env, f32_args(env, argv + 1, 9, p, n), "bnTrainBackward: arrays must be Float32Array");
    size_t c = n[3];
    CHECK(env,
          c > 0 && c <= PQK_BN_MAX_CHANNELS && n[0] % c == 0 && n[0] > 0 && n[1] == n[0] && n[2] == n[0] &&
              n[6] == n[0] && n[4] == c && n[5] == c && n[7] == c && n[8] == c,
          "bnTrainBackward: dy, x, y, dx must be (rows, c); mean, invstd, gamma, dgamma, dbeta (c)");
    bn_train_backward((long)(n[0] / c), (long)c, p[0], p[1], p[2], p[3], p[4], p[5], relu, p[6], p[7], p[8]);
    CHECK_MEMORY(env, "bn_train_bwd");
    return NULL;
}

/* bnGrad(eps, dy, x, mean, variance, scale, dx, dmean, dvar, dscale, doffset) */
napi_value bn_grad_fn(napi_env env, napi_callback_info info)
{
    napi_value argv[11];
    double eps;
    float *p[10];
    size_t n[10];
    CHECK(env, get_args(env, info, 11, argv) && napi_get_value_double(env, argv[0], &eps) == napi_ok,
          "bnGrad(eps, dy, x, mean, variance, scale, dx, dmean, dvar, dscale, doffset)");
    CHECK(env, f32_args(env, argv + 1, 10, p, n), "bnGrad: arrays must be Float32Array");
    size_t c = n[2];
    int ok = c > 0 && c <= PQK_BN_MAX_CHANNELS && n[0] > 0 && n[0] % c == 0 && n[1] == n[0] && n[5] == n[0];
    for (int i = 2; i < 10; i++) ok = ok && (i == 5 || n[i] == c);
    CHECK(env, ok, "bnGrad: dy, x, dx must be (rows, c); mean, variance, scale and their gradients (c)");
    bn_grad((long)(n[0] / c), (long)c, p[0], p[1], p[2], p[3], p[4], (float)eps, p[5], p[6], p[7], p[8], p[9]);
    CHECK_MEMORY(env, "bn_grad");
    return NULL;
}
