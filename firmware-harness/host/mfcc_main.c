/* Host check of the C MFCC frontend: mfcc-host IN.pcm OUT.bin COUNT SAMPLES [SCALE ZERO_POINT]
 * IN holds COUNT clips of SAMPLES little-endian int16 samples; OUT gets each clip's features as float32 or, with
 * SCALE and ZERO_POINT, as int8. The tables come from the pqk_mfcc_tables.c linked in (symbol
 * pqk_mfcc_model_tables). */
#include <stdio.h>
#include <stdlib.h>

#include "pqk_mfcc.h"

extern const pqk_mfcc_tables pqk_mfcc_model_tables;

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: %s IN.pcm OUT.bin COUNT SAMPLES [SCALE ZERO_POINT]\n", argv[0]);
        return 2;
    }
    const pqk_mfcc_tables *t = &pqk_mfcc_model_tables;
    const long count = atol(argv[3]), samples = atol(argv[4]);
    const int quantized = argc == 7;
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out || count < 0 || samples < 0) {
        fprintf(stderr, "%s: cannot open %s or %s\n", argv[0], argv[1], argv[2]);
        return 2;
    }
    int16_t *audio = malloc((size_t)(samples > 0 ? samples : 1) * sizeof *audio);
    float *scratch = malloc(pqk_mfcc_scratch_floats(t) * sizeof(float));
    const size_t n = (size_t)t->frames * t->coefficients;
    float *features = malloc(n * sizeof *features);
    int8_t *q = malloc(n);
    if (!audio || !scratch || !features || !q) return 3;
    for (long c = 0; c < count; c++) {
        if (fread(audio, sizeof *audio, (size_t)samples, in) != (size_t)samples) return 4;
        if (quantized) {
            pqk_mfcc_compute_int8(t, audio, (uint32_t)samples, (float)atof(argv[5]), atoi(argv[6]), q, scratch);
            fwrite(q, 1, n, out);
        } else {
            pqk_mfcc_compute(t, audio, (uint32_t)samples, features, scratch);
            fwrite(features, sizeof *features, n, out);
        }
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 4;
}
