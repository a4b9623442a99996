/* Argument plumbing shared by the N-API entry points (addon.c, addon_bn.c). */
#ifndef PQK_NATIVE_ADDON_H
#define PQK_NATIVE_ADDON_H

#include <node_api.h>
#include <stddef.h>

#define CHECK(env, cond, msg)                                                                                          \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            napi_throw_error((env), "PQK_NATIVE", (msg));                                                              \
            return NULL;                                                                                               \
        }                                                                                                              \
    } while (0)

/* after a kernel ran: a buffer it could not allocate (pqk_malloc, kernels.h) is a JS error, not a wrong result */
int pqk_alloc_failed(void);
#define CHECK_MEMORY(env, what) CHECK(env, !pqk_alloc_failed(), what ": out of memory for a work buffer")

/* pointer and element count of a typed array argument of the expected type */
static inline int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len)
{
    napi_typedarray_type type;
    napi_value buf;
    size_t off;
    if (napi_get_typedarray_info(env, v, &type, len, data, &buf, &off) != napi_ok || type != want) return 0;
    return 1;
}

static inline int get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
    size_t argc = n;
    return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == n;
}

static inline int get_int(napi_env env, napi_value v, int *out)
{
    return napi_get_value_int32(env, v, out) == napi_ok;
}

/* the arrays of argv[first ..], all Float32Array, with their sizes */
static inline int f32_args(napi_env env, napi_value *argv, int count, float **p, size_t *n)
{
    for (int i = 0; i < count; i++)
        if (!typed(env, argv[i], napi_float32_array, (void **)&p[i], &n[i])) return 0;
    return 1;
}

static inline size_t shape_size(const int *shape, size_t rank)
{
    size_t n = 1;
    for (size_t d = 0; d < rank; d++) n *= (size_t)shape[d];
    return n;
}

napi_value batchnorm_fn(napi_env env, napi_callback_info info);
napi_value bn_train_fwd_fn(napi_env env, napi_callback_info info);
napi_value bn_train_bwd_fn(napi_env env, napi_callback_info info);
napi_value bn_grad_fn(napi_env env, napi_callback_info info);

#endif
