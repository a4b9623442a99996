/* pqk's MFCC frontend: see pqk_mfcc.h. Every expression mirrors src/data/mfcc.ts and src/data/fft.ts; a change
 * here without the same change there breaks the bit-exact agreement the tests check. */
#include "pqk_mfcc.h"

uint32_t pqk_mfcc_scratch_floats(const pqk_mfcc_tables *t)
{
    return (uint32_t)t->fft_size + t->bands + t->coefficients;
}

/* ln(x) for a positive normal float, in float arithmetic: x = 2^k m, m in [sqrt(2)/2, sqrt(2)],
 * ln m = 2s (1 + s^2/3 + s^4/5 + s^6/7 + s^8/9) with s = (m - 1) / (m + 1). */
static float mfcc_ln(float x)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    int32_t k = (int32_t)(v.u >> 23) - 127;
    v.u = (v.u & 0x7fffffu) | 0x3f800000u;
    if (v.u > 0x3fb504f3u) {
        v.u -= 0x00800000u;
        k += 1;
    }
    const float f = v.f - 1.0f;
    const float s = f / (2.0f + f);
    const float z = s * s;
    const float r = z * (0.333333343f + z * (0.200000003f + z * (0.142857149f + z * 0.111111112f)));
    const float s2 = 2.0f * s;
    return (float)k * 0.693147182f + (s2 + s2 * r);
}

/* |X[k]|^2 of the real DFT's bin k from Z[a] and Z[b] (a = k mod m, b = (m - k) mod m) of the half-size complex
 * FFT of the even and odd samples, with the twiddle e^{-2 pi i k / N} = c + i s. */
static inline float bin_power(float ra, float ia, float rb, float ib, float c, float s)
{
    const float er = 0.5f * (ra + rb);
    const float ei = 0.5f * (ia - ib);
    const float or_ = 0.5f * (ia + ib);
    const float oi = -0.5f * (ra - rb);
    const float xr = er + or_ * c - oi * s;
    const float xi = ei + or_ * s + oi * c;
    return xr * xr + xi * xi;
}

/* One radix-2 butterfly on (a, b) with the twiddle c + i s, in the expression order of src/data/fft.ts. */
static inline void butterfly(float *ra, float *ia, float *rb, float *ib, float c, float s)
{
    const float tr = *rb * c - *ib * s;
    const float ti = *rb * s + *ib * c;
    *rb = *ra - tr;
    *ib = *ia - ti;
    *ra = *ra + tr;
    *ia = *ia + ti;
}

/* The next index in bit-reversed order: j = reverse(i) -> reverse(i + 1), over log2(m) bits. */
static inline uint32_t next_reversed(uint32_t j, uint32_t m)
{
    uint32_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    return j ^ bit;
}

/* The windowed frame, packed two real samples per complex value z[j] = (z[2j], z[2j + 1]), stored in bit-reversed
 * order (the FFT's first step), then the radix-2 butterflies and the power spectrum over them in place: P[k] in
 * z[2k] (k < m), P[m] in z[1]. The butterflies are src/data/fft.ts's, value for value; only their grouping
 * differs: the first stage's twiddle is 1 - 0i, whose products change no value (only, at most, the sign of a zero,
 * which no later step can turn into a different number), and later stages run in pairs, the four butterflies of
 * two stages that share four values done in registers before the values are stored. Bins k and m - k read the same
 * four values, so each pair is computed before either is stored. */
static void frame_power(const pqk_mfcc_tables *t, const int16_t *x, uint32_t available, float *z)
{
    const uint32_t m = t->fft_size / 2u, L = t->window;
    const float *w = t->window_table;
    const uint32_t filled = available < L ? available : L; /* samples read; the rest of the window is zero */
    uint32_t i = 0, j = 0;
    for (; i < filled / 2u && i < m; i++) {
        z[2u * j] = (float)x[2u * i] * w[2u * i];
        z[2u * j + 1u] = (float)x[2u * i + 1u] * w[2u * i + 1u];
        j = next_reversed(j, m);
    }
    for (; i < m; i++) { /* past the samples read (a zero sample times the window is a zero) */
        z[2u * j] = 2u * i < filled ? (float)x[2u * i] * w[2u * i] : 0.0f;
        z[2u * j + 1u] = 0.0f;
        j = next_reversed(j, m);
    }
    for (float *p = z; p < z + 2u * m; p += 4) {
        const float ra = p[0], ia = p[1], rb = p[2], ib = p[3];
        p[0] = ra + rb;
        p[1] = ia + ib;
        p[2] = ra - rb;
        p[3] = ia - ib;
    }
    uint32_t size = 4;
    for (; 2u * size <= m; size <<= 2) {
        const uint32_t h = size >> 1, step1 = 2u * m / size, step2 = m / size;
        for (uint32_t k = 0; k < h; k++) {
            const float c1 = t->cos_table[k * step1], s1 = -t->sin_table[k * step1];
            const float c2 = t->cos_table[k * step2], s2 = -t->sin_table[k * step2];
            const float c3 = t->cos_table[(k + h) * step2], s3 = -t->sin_table[(k + h) * step2];
            float *p0 = z + 2u * k, *p1 = p0 + 2u * h, *p2 = p0 + 2u * size, *p3 = p2 + 2u * h;
            for (uint32_t a = k; a < m;
                 a += 2u * size, p0 += 4u * size, p1 += 4u * size, p2 += 4u * size, p3 += 4u * size) {
                float r0 = p0[0], i0 = p0[1], r1 = p1[0], i1 = p1[1], r2 = p2[0], i2 = p2[1], r3 = p3[0], i3 = p3[1];
                butterfly(&r0, &i0, &r1, &i1, c1, s1);
                butterfly(&r2, &i2, &r3, &i3, c1, s1);
                butterfly(&r0, &i0, &r2, &i2, c2, s2);
                butterfly(&r1, &i1, &r3, &i3, c3, s3);
                p0[0] = r0;
                p0[1] = i0;
                p1[0] = r1;
                p1[1] = i1;
                p2[0] = r2;
                p2[1] = i2;
                p3[0] = r3;
                p3[1] = i3;
            }
        }
    }
    for (; size <= m; size <<= 1) { /* a last single stage when the count after the first is odd */
        const uint32_t h = size >> 1, step = 2u * m / size;
        for (uint32_t k = 0; k < h; k++) {
            const float c = t->cos_table[k * step], s = -t->sin_table[k * step];
            for (uint32_t a = k; a < m; a += size)
                butterfly(&z[2u * a], &z[2u * a + 1u], &z[2u * (a + h)], &z[2u * (a + h) + 1u], c, s);
        }
    }
    const float *ct = t->cos_table, *st = t->sin_table;
    const float p0 = bin_power(z[0], z[1], z[0], z[1], ct[0], -st[0]);
    const float pm = bin_power(z[0], z[1], z[0], z[1], -1.0f, 0.0f);
    z[0] = p0;
    z[1] = pm;
    for (uint32_t k = 1, q = m - 1; k < q; k++, q--) {
        const float ra = z[2u * k], ia = z[2u * k + 1u], rb = z[2u * q], ib = z[2u * q + 1u];
        z[2u * k] = bin_power(ra, ia, rb, ib, ct[k], -st[k]);
        z[2u * q] = bin_power(rb, ib, ra, ia, ct[q], -st[q]);
    }
    const uint32_t hm = m >> 1;
    z[2u * hm] = bin_power(z[2u * hm], z[2u * hm + 1u], z[2u * hm], z[2u * hm + 1u], ct[hm], -st[hm]);
}

void pqk_mfcc_frame(const pqk_mfcc_tables *t, const int16_t *x, uint32_t available, float *coefficients, float *scratch)
{
    const uint32_t m = t->fft_size / 2u;
    float *z = scratch, *lm = scratch + 2u * m;
    frame_power(t, x, available, z);
    for (uint32_t b = 0; b < t->bands; b++) {
        const float *w = t->mel_weights + t->mel_offset[b];
        const uint32_t k0 = t->mel_start[b], n = t->mel_length[b];
        float e = 0.0f;
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t k = k0 + i;
            e = e + w[i] * (k == m ? z[1] : z[2u * k]);
        }
        lm[b] = mfcc_ln(e + t->log_floor);
    }
    for (uint32_t j = 0; j < t->coefficients; j++) {
        const float *row = t->dct + j * t->bands;
        float c = 0.0f;
        for (uint32_t b = 0; b < t->bands; b++) c = c + row[b] * lm[b];
        coefficients[j] = c;
    }
}

static uint32_t frame_available(const pqk_mfcc_tables *t, uint32_t samples, uint32_t start)
{
    const uint32_t clip = samples < t->clip_samples ? samples : t->clip_samples;
    return clip > start ? clip - start : 0u;
}

void pqk_mfcc_compute(const pqk_mfcc_tables *t, const int16_t *audio, uint32_t samples, float *features, float *scratch)
{
    for (uint32_t f = 0; f < t->frames; f++) {
        const uint32_t start = f * t->hop;
        pqk_mfcc_frame(t, audio + start, frame_available(t, samples, start), features + f * t->coefficients, scratch);
    }
}

/* round(x), halves away from zero, for |x| < 2^23; larger values are whole already. */
static float round_half_away(float x)
{
    if (!(x > -8388608.0f && x < 8388608.0f)) return x;
    float r = (float)(int32_t)x;
    const float d = x - r;
    if (d >= 0.5f)
        r += 1.0f;
    else if (d <= -0.5f)
        r -= 1.0f;
    return r;
}

void pqk_mfcc_compute_int8(const pqk_mfcc_tables *t, const int16_t *audio, uint32_t samples, float scale,
                           int32_t zero_point, int8_t *features, float *scratch)
{
    float *c = scratch + t->fft_size + t->bands;
    for (uint32_t f = 0; f < t->frames; f++) {
        const uint32_t start = f * t->hop;
        pqk_mfcc_frame(t, audio + start, frame_available(t, samples, start), c, scratch);
        for (uint32_t j = 0; j < t->coefficients; j++) {
            const float q = round_half_away(c[j] / scale) + (float)zero_point;
            features[f * t->coefficients + j] = (int8_t)(!(q >= -128.0f) ? -128 : q > 127.0f ? 127 : (int32_t)q);
        }
    }
}
