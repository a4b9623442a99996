/* All kernel threading goes through parallel_for (OpenMP); OpenBLAS runs single-threaded inside it. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int parallel_threads(void)
{
    return omp_get_max_threads();
}

static int alloc_failed;

/* PQK_NATIVE_FAIL_ALLOC=1 makes every work buffer fail (how the tests reach the out-of-memory paths) */
static int fail_all = -1;

void *pqk_malloc(size_t bytes)
{
    if (__atomic_load_n(&fail_all, __ATOMIC_RELAXED) < 0) {
        const char *v = getenv("PQK_NATIVE_FAIL_ALLOC");
        __atomic_store_n(&fail_all, v != NULL && v[0] == '1', __ATOMIC_RELAXED);
    }
    void *p = fail_all ? NULL : malloc(bytes);
    if (!p && bytes > 0) __atomic_store_n(&alloc_failed, 1, __ATOMIC_RELAXED);
    return p;
}

int pqk_alloc_failed(void)
{
    return __atomic_exchange_n(&alloc_failed, 0, __ATOMIC_RELAXED);
}

/* threads worth starting for n items when each should get at least min_chunk */
static int threads_for(long n, long min_chunk)
{
    int threads = omp_get_max_threads();
    if (min_chunk < 1) min_chunk = 1;
    if (threads > n / min_chunk) threads = (int)(n / min_chunk);
    return threads;
}

int parallel_for(long n, long min_chunk, range_fn fn, void *ctx)
{
    int threads = threads_for(n, min_chunk);
    if (threads <= 1) {
        if (n > 0) fn(ctx, 0, n, 0);
        return 1;
    }
    int used = 1;
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        long lo = n * t / nt, hi = n * (t + 1) / nt;
        if (t == 0) used = nt; /* the runtime may give fewer threads than asked */
        if (hi > lo) fn(ctx, lo, hi, t);
    }
    return used;
}

static long slot_lo(long n, int s)
{
    return n * s / PQK_SLOTS;
}

static int slot_used(long n, int s)
{
    return slot_lo(n, s + 1) > slot_lo(n, s);
}

void parallel_slots(long n, long min_chunk, range_fn fn, void *ctx)
{
    int threads = threads_for(n, min_chunk);
    if (threads > PQK_SLOTS) threads = PQK_SLOTS;
    if (threads < 1) threads = 1; /* num_threads must be positive, even where the region runs on one thread */
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int s = 0; s < PQK_SLOTS; s++)
        if (slot_used(n, s)) fn(ctx, slot_lo(n, s), slot_lo(n, s + 1), s);
}

void sum_slots(long n, const float *partials, long size, float *out)
{
    int first = 1;
    for (int s = 0; s < PQK_SLOTS; s++) {
        if (!slot_used(n, s)) continue;
        const float *p = partials + (long)s * size;
        if (first)
            memcpy(out, p, sizeof(float) * size), first = 0;
        else
            for (long i = 0; i < size; i++) out[i] += p[i];
    }
    if (first) memset(out, 0, sizeof(float) * size);
}
