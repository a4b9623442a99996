/* Firmware entry, built with a model's C bundle (its pqk_micro/, frontend/ and model_data.c;
 * src/runtimes/qemu-build.ts): the model is in flash, the arena is one static array; the semihosting command line names
 * the input batch, the output file and the sample count:  fw INPUTS.bin OUTPUTS.bin COUNT Prints "pqk-stats ..." or
 * "pqk-error: ..." on the semihosting console; exit status 0 when every sample ran. Built with PQK_AUDIO=1 the inputs
 * are clips of int16 PCM instead: the MFCC frontend (frontend/pqk_mfcc.c, with the model's tables linked in as
 * pqk_mfcc_model_tables) fills the input tensor, and each sample's output is the int8 features followed by the model's
 * outputs. pqk_marker(-3) marks the frontend's start. */
#include <stdint.h>

#include "micro.h"
#include "semihost.h"

#ifndef PQK_AUDIO
#define PQK_AUDIO 0
#endif
#if PQK_AUDIO
#include "pqk_mfcc.h"
extern const pqk_mfcc_tables pqk_mfcc_model_tables;
#ifndef PQK_AUDIO_SAMPLES
#define PQK_AUDIO_SAMPLES 16000
#endif
#ifndef PQK_MFCC_SCRATCH
#define PQK_MFCC_SCRATCH 1074
#endif
static int16_t audio[PQK_AUDIO_SAMPLES];
static float mfcc_scratch[PQK_MFCC_SCRATCH];
#endif

#ifndef PQK_ARENA_BYTES
#define PQK_ARENA_BYTES 65536
#endif
#ifndef PQK_X86_ROUNDING
#define PQK_X86_ROUNDING 0 /* 1: x86-64 TFLite 2.9's arithmetic instead of TFLite Micro's (cross-checks only) */
#endif
#ifndef PQK_OPTIMIZED
#define PQK_OPTIMIZED 0
#endif

extern const unsigned char pqk_model_data[]; /* model_data.c of the bundle */
extern const unsigned int pqk_model_data_len;
static uint8_t arena[PQK_ARENA_BYTES] __attribute__((aligned(16)));
static pqk_ctx ctx;

static int fail(const char *what, const char *detail, int code)
{
    char line[PQK_ERROR_LEN + 64] = "pqk-error: ";
    pqk_str_append(line, sizeof line, what);
    pqk_str_append(line, sizeof line, detail);
    pqk_str_append(line, sizeof line, "\n");
    sh_print(line);
    return code;
}

/* Splits the command line in place; returns the word count. */
static int split(char *s, char **words, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s == ' ') *s++ = '\0';
        if (!*s) break;
        words[n++] = s;
        while (*s && *s != ' ') s++;
    }
    return n;
}

static int32_t parse_count(const char *s)
{
    int32_t v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return v;
}

static int run(int32_t in_fd, int32_t out_fd, int32_t count)
{
    uint32_t in_bytes, out_bytes;
    int8_t *x = pqk_input(&ctx, 0, &in_bytes);
#if PQK_AUDIO
    const pqk_mfcc_tables *t = &pqk_mfcc_model_tables;
    const pqk_tensor *in = &ctx.tensors[ctx.inputs[0]];
    if (pqk_mfcc_scratch_floats(t) > PQK_MFCC_SCRATCH || (uint32_t)t->frames * t->coefficients != in_bytes)
        return fail("the MFCC tables do not fit this firmware or this model's input", "", 4);
#endif
    for (int32_t i = 0; i < count; i++) {
#if PQK_AUDIO
        if (sh_read(in_fd, audio, sizeof audio) != (int32_t)sizeof audio) return fail("input file ends early", "", 4);
        pqk_marker(-3);
        pqk_mfcc_compute_int8(t, audio, PQK_AUDIO_SAMPLES, in->scale, in->zero_point, x, mfcc_scratch);
        if (sh_write(out_fd, x, in_bytes) != (int32_t)in_bytes) return fail("cannot write outputs", "", 4);
#else
        if (sh_read(in_fd, x, in_bytes) != (int32_t)in_bytes) return fail("input file ends early", "", 4);
#endif
        if (pqk_invoke(&ctx) != PQK_OK) return fail(ctx.error, "", 5);
        const int8_t *y = pqk_output(&ctx, 0, &out_bytes);
        if (sh_write(out_fd, y, out_bytes) != (int32_t)out_bytes) return fail("cannot write outputs", "", 4);
    }
    return 0;
}

int main(void)
{
    static char cmdline[512];
    char *argv[4];
    if (sh_cmdline(cmdline, sizeof cmdline) != 0) return fail("no semihosting command line", "", 4);
    if (split(cmdline, argv, 4) < 4) return fail("usage: fw INPUTS.bin OUTPUTS.bin COUNT", "", 4);
    const uint32_t size = (uint32_t)pqk_model_data_len;
    const int flags = (PQK_OPTIMIZED ? PQK_INIT_OPTIMIZED : 0) | (PQK_X86_ROUNDING ? PQK_INIT_X86_ROUNDING : 0);
    if (pqk_init(&ctx, pqk_model_data, size, arena, sizeof arena, flags) != PQK_OK) return fail(ctx.error, "", 2);
    char stats[96] = "pqk-stats arena_used_bytes=";
    pqk_int_append(stats, sizeof stats, (int64_t)ctx.arena_used_bytes);
    pqk_str_append(stats, sizeof stats, "\n");
    sh_print(stats);
    const int32_t in_fd = sh_open(argv[1], 1), out_fd = sh_open(argv[2], 5);
    if (in_fd < 0) return fail("cannot open ", argv[1], 4);
    if (out_fd < 0) return fail("cannot open ", argv[2], 4);
    const int rc = run(in_fd, out_fd, parse_count(argv[3]));
    sh_close(in_fd);
    sh_close(out_fd);
    return rc;
}
