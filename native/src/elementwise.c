/* Broadcasting binary ops: dims are merged where both inputs broadcast alike, then the innermost dim runs flat. */
#include <math.h>

#include "kernels.h"

typedef struct {
    int op, rank;                            /* rank after merging */
    long dims[PQK_MAX_RANK];                 /* merged output dims */
    long sa[PQK_MAX_RANK], sb[PQK_MAX_RANK]; /* input strides per merged dim, 0 where broadcast */
    const float *a, *b;
    float *out;
} bin_job;

/* the innermost run: one loop per op and stride pattern, so the common cases vectorise */
static void run_inner(int op, long n, const float *restrict a, long sa, const float *restrict b, long sb,
                      float *restrict out)
{
#define LOOPS(EXPR)                                                                                                    \
    if (sa == 1 && sb == 1)                                                                                            \
        for (long i = 0; i < n; i++) {                                                                                 \
            float x = a[i], y = b[i];                                                                                  \
            out[i] = (EXPR);                                                                                           \
        }                                                                                                              \
    else if (sa == 1 && sb == 0)                                                                                       \
        for (long i = 0; i < n; i++) {                                                                                 \
            float x = a[i], y = b[0];                                                                                  \
            out[i] = (EXPR);                                                                                           \
        }                                                                                                              \
    else if (sa == 0 && sb == 1)                                                                                       \
        for (long i = 0; i < n; i++) {                                                                                 \
            float x = a[0], y = b[i];                                                                                  \
            out[i] = (EXPR);                                                                                           \
        }                                                                                                              \
    else                                                                                                               \
        for (long i = 0; i < n; i++) {                                                                                 \
            float x = a[i * sa], y = b[i * sb];                                                                        \
            out[i] = (EXPR);                                                                                           \
        }                                                                                                              \
    break
    switch (op) {
    case OP_ADD:
        LOOPS(x + y);
    case OP_SUB:
        LOOPS(x - y);
    case OP_MUL:
        LOOPS(x * y);
    case OP_DIV:
        LOOPS(x / y);
    case OP_MAX:
        LOOPS((isnan(x) || isnan(y)) ? NAN : (x > y ? x : y));
    case OP_MIN:
        LOOPS((isnan(x) || isnan(y)) ? NAN : (x < y ? x : y));
    case OP_RELU_GRAD:
        LOOPS(y > 0 ? x : 0.0f); /* x = dy, y = the ReLU's input */
    default:
        LOOPS((float)(((double)x - y) * ((double)x - y))); /* OP_SQDIFF, rounded once as tfjs does */
    }
#undef LOOPS
}

static void binary_range(void *ctx, long lo, long hi, int slot)
{
    const bin_job *j = ctx;
    const int r = j->rank;
    const long inner = j->dims[r - 1];
    (void)slot;
    for (long o = lo; o < hi; o++) {
        long rest = o, oa = 0, ob = 0;
        for (int d = r - 2; d >= 0; d--) {
            long i = rest % j->dims[d];
            rest /= j->dims[d];
            oa += i * j->sa[d];
            ob += i * j->sb[d];
        }
        run_inner(j->op, inner, j->a + oa, j->sa[r - 1], j->b + ob, j->sb[r - 1], j->out + o * inner);
    }
}

/* strides of `shape` seen from `out_shape`: 0 on broadcast dims */
static void broadcast_strides(int rank, const int *out_shape, const int *shape, long *strides)
{
    long s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = (shape[d] == 1 && out_shape[d] != 1) ? 0 : s;
        s *= shape[d];
    }
}

void binary_broadcast(int op, int rank, const int *out_shape, const float *a, const int *a_shape, const float *b,
                      const int *b_shape, float *out)
{
    long sa[PQK_MAX_RANK], sb[PQK_MAX_RANK];
    bin_job j = {.op = op, .a = a, .b = b, .out = out};
    broadcast_strides(rank, out_shape, a_shape, sa);
    broadcast_strides(rank, out_shape, b_shape, sb);
    int m = 0;
    for (int d = 0; d < rank; d++) {
        if (out_shape[d] == 1) continue;
        /* merge into the previous dim when both inputs stay contiguous across the pair */
        if (m > 0 && j.sa[m - 1] == sa[d] * out_shape[d] && j.sb[m - 1] == sb[d] * out_shape[d]) {
            j.dims[m - 1] *= out_shape[d];
            j.sa[m - 1] = sa[d];
            j.sb[m - 1] = sb[d];
        } else {
            j.dims[m] = out_shape[d];
            j.sa[m] = sa[d];
            j.sb[m] = sb[d];
            m++;
        }
    }
    if (m == 0) j.dims[m] = 1, j.sa[m] = 0, j.sb[m] = 0, m = 1;
    j.rank = m;
    long outer = 1;
    for (int d = 0; d < m - 1; d++) outer *= j.dims[d];
    parallel_for(outer, 1 + (1L << 16) / j.dims[m - 1], binary_range, &j);
}
