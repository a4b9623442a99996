/* Reductions over any set of axes and transposes, without the transpose-then-reduce of the JS backend. */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

typedef struct {
    int op, rank;
    long dims[PQK_MAX_RANK], xs[PQK_MAX_RANK], os[PQK_MAX_RANK]; /* merged dims, input strides, output strides */
    int red[PQK_MAX_RANK];
    long out_size;
    const float *x;
    double *acc; /* one out_size buffer per slot */
} red_job;

static void walk(const red_job *j, int d, const float *x, double *acc)
{
    const long n = j->dims[d];
    if (d < j->rank - 1) {
        for (long i = 0; i < n; i++) walk(j, d + 1, x + i * j->xs[d], acc + (j->red[d] ? 0 : i * j->os[d]));
        return;
    }
    const int is_max = j->op == RED_MAX, is_min = j->op == RED_MIN;
    if (j->red[d]) {
        double s = acc[0];
        if (is_max)
            for (long i = 0; i < n; i++) {
                if (x[i] > s || isnan(x[i])) s = x[i];
            }
        else if (is_min)
            for (long i = 0; i < n; i++) {
                if (x[i] < s || isnan(x[i])) s = x[i];
            }
        else
            for (long i = 0; i < n; i++) s += x[i];
        acc[0] = s;
    } else if (is_max) {
        for (long i = 0; i < n; i++)
            if (x[i] > acc[i] || isnan(x[i])) acc[i] = x[i];
    } else if (is_min) {
        for (long i = 0; i < n; i++)
            if (x[i] < acc[i] || isnan(x[i])) acc[i] = x[i];
    } else {
        for (long i = 0; i < n; i++) acc[i] += x[i];
    }
}

static double init_value(int op)
{
    return op == RED_MAX ? -INFINITY : op == RED_MIN ? INFINITY : 0.0;
}

static void reduce_range(void *ctx, long lo, long hi, int slot)
{
    const red_job *j = ctx;
    double *acc = j->acc + (j->red[0] ? slot * j->out_size : 0);
    for (long i = lo; i < hi; i++) {
        if (j->rank == 1) {
            walk(j, 0, j->x, acc);
            break;
        }
        walk(j, 1, j->x + i * j->xs[0], acc + (j->red[0] ? 0 : i * j->os[0]));
    }
}

static void combine(const red_job *j, int op, int slots, long count, float *out)
{
    for (long i = 0; i < j->out_size; i++) {
        double v = j->acc[i];
        for (int s = 1; s < slots; s++) {
            double w = j->acc[s * j->out_size + i];
            if (op == RED_MAX)
                v = (w > v || isnan(w)) ? w : v;
            else if (op == RED_MIN)
                v = (w < v || isnan(w)) ? w : v;
            else
                v += w;
        }
        out[i] = (float)(op == RED_MEAN ? v / (double)count : v);
    }
}

/* max or min of a whole tensor (what QAT's range observers ask for every step): float lanes the compiler vectorizes,
   one partial per thread, NaN kept aside; exact, since a max or min does not depend on the order it is taken in. */
typedef struct {
    int op;
    const float *x;
    float *part; /* one per thread */
    int *nan;
} extreme_job;

static void extreme_range(void *ctx, long lo, long hi, int slot)
{
    extreme_job *j = ctx;
    const float *x = j->x;
    float m = j->part[slot];
    int nan = 0;
    if (j->op == RED_MAX)
        for (long i = lo; i < hi; i++) {
            float v = x[i];
            m = v > m ? v : m;
            nan |= v != v;
        }
    else
        for (long i = lo; i < hi; i++) {
            float v = x[i];
            m = v < m ? v : m;
            nan |= v != v;
        }
    j->part[slot] = m;
    j->nan[slot] |= nan;
}

static void extreme_all(int op, long n, const float *x, float *out)
{
    float one_part;
    int one_nan, slots = parallel_threads();
    extreme_job j = {.op = op,
                     .x = x,
                     .part = malloc(sizeof(float) * slots),
                     .nan = malloc(sizeof(int) * slots)}; /* NULL: one thread */
    if (!j.part || !j.nan)
        free(j.part), free(j.nan), j.part = &one_part, j.nan = &one_nan, slots = 1; /* one thread then */
    for (int s = 0; s < slots; s++) j.part[s] = op == RED_MAX ? -INFINITY : INFINITY, j.nan[s] = 0;
    int used = slots == 1 ? (extreme_range(&j, 0, n, 0), 1) : parallel_for(n, 1L << 16, extreme_range, &j);
    float m = j.part[0];
    int nan = j.nan[0];
    for (int s = 1; s < used; s++) {
        m = op == RED_MAX ? (j.part[s] > m ? j.part[s] : m) : (j.part[s] < m ? j.part[s] : m);
        nan |= j.nan[s];
    }
    out[0] = nan ? NAN : m;
    if (j.part != &one_part) free(j.part), free(j.nan);
}

void reduce_axes(int op, int rank, const int *shape, const int *reduced, const float *x, float *out)
{
    red_job j = {.op = op, .x = x, .out_size = 1};
    long count = 1;
    int m = 0;
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 1) continue;
        if (m > 0 && j.red[m - 1] == !!reduced[d])
            j.dims[m - 1] *= shape[d];
        else
            j.dims[m] = shape[d], j.red[m] = !!reduced[d], m++;
    }
    if (m == 0) j.dims[0] = 1, j.red[0] = 1, m = 1;
    if (m == 1 && j.red[0] && (op == RED_MAX || op == RED_MIN)) {
        extreme_all(op, j.dims[0], x, out);
        return;
    }
    j.rank = m;
    for (long d = m - 1, xs = 1, os = 1; d >= 0; d--) {
        j.xs[d] = xs, xs *= j.dims[d];
        j.os[d] = j.red[d] ? 0 : os;
        if (!j.red[d])
            os *= j.dims[d], j.out_size *= j.dims[d];
        else
            count *= j.dims[d];
    }
    /* split the outermost dim; a reduced one needs a partial per slot, a kept one writes disjoint outputs */
    long total = count * j.out_size;
    long min_chunk = 1 + (1L << 15) * j.dims[0] / (total ? total : 1);
    /* a reduced outer dim is summed in fixed slots (parallel_slots), so the sum does not depend on the thread count */
    int slots = j.red[0] ? PQK_SLOTS : 1;
    j.acc = pqk_malloc(sizeof(double) * j.out_size * slots);
    if (!j.acc) return;
    for (long i = 0; i < j.out_size * slots; i++) j.acc[i] = init_value(op);
    if (j.red[0])
        parallel_slots(m == 1 ? 1 : j.dims[0], m == 1 ? 1 : min_chunk, reduce_range, &j);
    else
        parallel_for(j.dims[0], min_chunk, reduce_range, &j);
    combine(&j, op, slots, count, out);
    free(j.acc);
}

/* out[i] = x[index of i under perm]; the innermost output dim walks the input with a stride */
void transpose(int rank, const int *shape, const int *perm, const float *x, float *out)
{
    long in_strides[PQK_MAX_RANK] = {0}, out_dims[PQK_MAX_RANK] = {0}, idx[PQK_MAX_RANK] = {0}, total = 1;
    for (long d = rank - 1, s = 1; d >= 0; d--) in_strides[d] = s, s *= shape[d];
    for (int d = 0; d < rank; d++) out_dims[d] = shape[perm[d]], total *= out_dims[d];
    if (total == 0) return;
    const long inner = out_dims[rank - 1], inner_stride = in_strides[perm[rank - 1]];
    for (long o = 0; o < total; o += inner) {
        long off = 0;
        for (int d = 0; d < rank - 1; d++) off += idx[d] * in_strides[perm[d]];
        for (long i = 0; i < inner; i++) out[o + i] = x[off + i * inner_stride];
        for (int d = rank - 2; d >= 0; d--) {
            if (++idx[d] < out_dims[d]) break;
            idx[d] = 0;
        }
    }
}
