/* TFLite 2.9's int8 ADD rescaling, exactly (src/int/add.ts addRaw): v1, v2 are the inputs minus their zero points;
   each is shifted left by 20 bits and scaled by MultiplyByQuantizedMultiplier, the int32 sum is scaled again. The
   result is the rescaled sum before the output zero point and the clamp, as float32 (it is at most 2^31 in size, and
   an int8 output after the clamp). */
#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "kernels.h"

static int32_t srdhm(int32_t a, int32_t b)
{ /* gemmlowp SaturatingRoundingDoublingHighMul */
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    const int64_t ab = (int64_t)a * b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static int32_t rdbpot(int32_t x, int e)
{ /* gemmlowp RoundingDivideByPOT: ties away from zero */
    if (e == 0) return x;
    const int32_t mask = (int32_t)((1LL << e) - 1), rem = x & mask, threshold = (mask >> 1) + (x < 0);
    return (x >> e) + (rem > threshold);
}

static int32_t mbqm(int32_t x, int32_t m, int shift)
{ /* MultiplyByQuantizedMultiplier (common.h) */
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return rdbpot(srdhm((int32_t)((uint32_t)x << left), m), right);
}

#define V 255

typedef struct {
    const int32_t *p; /* m1, s1, m2, s2, mo, so */
    const float *a, *b;
    float *out;
    int32_t t1[2 * V + 1], t2[2 * V + 1];
} qadd_job;

static void qadd_range(void *ctx, long lo, long hi, int slot)
{
    const qadd_job *j = ctx;
    (void)slot;
    for (long i = lo; i < hi; i++) {
        const float a = j->a[i], b = j->b[i];
        int32_t x1, x2;
        if (fabsf(a) <= V && fabsf(b) <= V && a == (float)(int)a && b == (float)(int)b) {
            x1 = j->t1[(int)a + V], x2 = j->t2[(int)b + V];
        } else {
            x1 = mbqm((int32_t)((uint32_t)(int32_t)a << 20), j->p[0], j->p[1]);
            x2 = mbqm((int32_t)((uint32_t)(int32_t)b << 20), j->p[2], j->p[3]);
        }
        j->out[i] = (float)mbqm((int32_t)((uint32_t)x1 + (uint32_t)x2), j->p[4], j->p[5]);
    }
}

void quant_add(const int32_t *p, long n, const float *a, const float *b, float *out)
{
    qadd_job j = {.p = p, .a = a, .b = b, .out = out};
    for (int v = -V; v <= V; v++) {
        j.t1[v + V] = mbqm((int32_t)((uint32_t)v << 20), p[0], p[1]);
        j.t2[v + V] = mbqm((int32_t)((uint32_t)v << 20), p[2], p[3]);
    }
    parallel_for(n, 1L << 15, qadd_range, &j);
}
