/* All kernel threading goes through parallel_for (OpenMP); OpenBLAS runs single-threaded inside it. */
#include <omp.h>

#include "kernels.h"

int parallel_threads(void) { return omp_get_max_threads(); }

int parallel_for(long n, long min_chunk, range_fn fn, void *ctx) {
  int threads = omp_get_max_threads();
  if (min_chunk < 1) min_chunk = 1;
  if (threads > n / min_chunk) threads = (int)(n / min_chunk);
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
