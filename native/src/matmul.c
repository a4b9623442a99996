/* BatchMatMul as one sgemm per batch entry, batch entries split across threads. */
#include <cblas.h>

#include "kernels.h"

typedef struct {
    int m, n, k, trans_a, trans_b;
    const float *a, *b;
    long a_bstride, b_bstride;
    float *c;
} mm_job;

static void matmul_range(void *ctx, long lo, long hi, int slot)
{
    const mm_job *j = ctx;
    (void)slot;
    for (long i = lo; i < hi; i++) {
        cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans, j->m,
                    j->n, j->k, 1.0f, j->a + i * j->a_bstride, j->trans_a ? j->m : j->k, j->b + i * j->b_bstride,
                    j->trans_b ? j->k : j->n, 0.0f, j->c + i * (long)j->m * j->n, j->n);
    }
}

/* one big product splits its rows across threads instead (a single batch entry) */
static void rows_range(void *ctx, long lo, long hi, int slot)
{
    const mm_job *j = ctx;
    (void)slot;
    const float *a = j->trans_a ? j->a + lo : j->a + lo * j->k;
    cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans,
                (int)(hi - lo), j->n, j->k, 1.0f, a, j->trans_a ? j->m : j->k, j->b, j->trans_b ? j->k : j->n, 0.0f,
                j->c + lo * j->n, j->n);
}

void batch_matmul(int batch, int m, int n, int k, int trans_a, int trans_b, const float *a, long a_bstride,
                  const float *b, long b_bstride, float *c)
{
    mm_job j = {m, n, k, trans_a, trans_b, a, b, a_bstride, b_bstride, c};
    if (batch == 1)
        parallel_for(m, (1L << 18) / ((long)n * k + 1) + 16, rows_range, &j);
    else
        parallel_for(batch, 1, matmul_range, &j);
}
