/* pqk's MFCC frontend in C: one second of 16 kHz int16 audio -> the model's (frames x coefficients) input, float or
 * quantized to int8. Float32 arithmetic in the order pqk's TypeScript frontend uses (src/data/mfcc.ts, fft.ts), on
 * tables pqk generates for the model (pqk_mfcc_tables.c), so the features are bit for bit those the model was
 * trained and verified on. Compile with -ffp-contract=off (the default of -std=c99): a fused multiply-add rounds
 * once where the frontend rounds twice. No malloc, no libm; the caller gives the scratch. */
#ifndef PQK_MFCC_H
#define PQK_MFCC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint16_t clip_samples;              /* samples of one clip: shorter input is zero-padded, longer input trimmed */
    uint16_t window;                    /* samples per frame */
    uint16_t hop;                       /* samples between frame starts */
    uint16_t fft_size;                  /* a power of two >= window */
    uint16_t bands;                     /* mel bands */
    uint16_t coefficients;              /* DCT coefficients kept per frame */
    uint16_t frames;                    /* frames per clip */
    const float *window_table;          /* (window) periodic Hann / 32768 */
    const float *cos_table, *sin_table; /* (fft_size / 2) cos and sin of 2 pi k / fft_size */
    const uint16_t *mel_start;          /* (bands) first FFT bin of each band's triangle */
    const uint16_t *mel_length;         /* (bands) its bins */
    const uint16_t *mel_offset;         /* (bands) where its weights start in mel_weights */
    const float *mel_weights;
    const float *dct; /* (coefficients x bands) orthonormal DCT-II, row-major */
    float log_floor;  /* ln(energy + log_floor) */
} pqk_mfcc_tables;

/* Floats of scratch every call needs: fft_size + bands + coefficients. */
uint32_t pqk_mfcc_scratch_floats(const pqk_mfcc_tables *t);

/* One frame: the window's samples at x (samples past `available` count as zero) -> t->coefficients floats. */
void pqk_mfcc_frame(const pqk_mfcc_tables *t, const int16_t *x, uint32_t available, float *coefficients,
                    float *scratch);

/* A clip of `samples` int16 samples -> frames x coefficients floats, frame-major. */
void pqk_mfcc_compute(const pqk_mfcc_tables *t, const int16_t *audio, uint32_t samples, float *features,
                      float *scratch);

/* The same, quantized as TFLite's QUANTIZE does: zero_point + round_half_away(feature / scale), clamped to int8. */
void pqk_mfcc_compute_int8(const pqk_mfcc_tables *t, const int16_t *audio, uint32_t samples, float scale,
                           int32_t zero_point, int8_t *features, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
