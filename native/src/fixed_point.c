/* QAT requantization: acc * m rounded as TFLite 2.9's MultiplyByQuantizedMultiplier rounds it, in one pass.
 * Every step is the float32 operation tfjs' composed ops perform, in their order, so the results are identical;
 * build.sh compiles this file with -ffp-contract=off (a fused multiply-add would round a * mp + 0.5 once). */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

typedef struct {
    long c;
    int rounding;
    const float *acc, *m; /* acc: (rows, c); m: (c,) */
    const float *mp;      /* (c,) m * pow: the Q31 significand in [0.5, 1), or m itself when m >= 1 */
    const float *pow;     /* (c,) 2^rs, at least 1: the rounding right shift */
    const float *half;    /* (c,) pow / 2 where pow > 1, else 0: the shift's rounding offset */
    float *out;
} fp_job;

/* pow = max(2^rs, 1) with rs = -(floor(log2 m) + 1), so that m * 2^rs lies in [0.5, 1); frexpf gives rs exactly.
 * As the composed ops: NaN for m <= 0 or NaN (their log is NaN or -inf), 1 for m = +inf. */
static float channel_pow(float m)
{
    int e;
    if (!(m > 0)) return NAN;
    if (isinf(m)) return 1.0f;
    (void)frexpf(m, &e); /* m = f * 2^e, f in [0.5, 1) */
    const float p = ldexpf(1.0f, -e);
    return p > 1.0f ? p : 1.0f;
}

/* one loop per rounding, so each is branch-free in the element and vectorises */
static void fp_range(void *ctx, long lo, long hi, int slot)
{
    const fp_job *j = ctx;
    const long c = j->c;
    const float *restrict m = j->m, *restrict mp = j->mp, *restrict pw = j->pow, *restrict half = j->half;
    (void)slot;
    for (long r = lo; r < hi; r++) {
        const float *restrict a = j->acc + r * c;
        float *restrict y = j->out + r * c;
        switch (j->rounding) {
        case FP_SINGLE:
            for (long k = 0; k < c; k++) y[k] = floorf(a[k] * m[k] + 0.5f);
            break;
        case FP_TIES_UP:
            for (long k = 0; k < c; k++) {
                const float t = floorf(a[k] * mp[k] + 0.5f);
                y[k] = floorf((t + half[k]) / pw[k]);
            }
            break;
        default: /* FP_AWAY: sign(t) * floor((|t| + half) / pow), sign(0) = sign(NaN) = 0 as in tfjs */
            for (long k = 0; k < c; k++) {
                const float t = floorf(a[k] * mp[k] + 0.5f);
                const float s = t > 0 ? 1.0f : t < 0 ? -1.0f : 0.0f;
                y[k] = s * floorf((fabsf(t) + half[k]) / pw[k]);
            }
            break;
        }
    }
}

int fixed_point_scale(long rows, long c, int rounding, const float *acc, const float *m, float *out)
{
    float *buf = pqk_malloc(sizeof(float) * 3 * c);
    if (!buf) return 0;
    fp_job j = {c, rounding, acc, m, buf, buf + c, buf + 2 * c, out};
    for (long k = 0; k < c; k++) {
        const float p = channel_pow(m[k]);
        buf[c + k] = p;
        buf[k] = m[k] * p;
        buf[2 * c + k] = p > 1.0f ? p / 2.0f : 0.0f;
    }
    parallel_for(rows, 1 + (1L << 16) / c, fp_range, &j);
    free(buf);
    return 1;
}
