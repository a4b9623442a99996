/* Host runner of the micro interpreter, for tests and for sizing firmware: runs a batch of int8 inputs and
 * prints a JSON summary.
 *   pqk-micro-host MODEL.tflite INPUTS.bin COUNT OUTPUTS.bin [--optimized] [--x86-rounding]
 * --x86-rounding reproduces x86-64 TFLite 2.9 instead of TFLite Micro (CONV_2D / FULLY_CONNECTED ties, SOFTMAX).
 * COUNT 0 only parses, prepares and plans (the summary still gives the arena size and op names). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/micro.h"
#include "../src/model_reader.h"

#define HOST_ARENA_BYTES (64u << 20)

static uint8_t arena[HOST_ARENA_BYTES] __attribute__((aligned(16)));
static pqk_ctx ctx;

static uint8_t *read_file(const char *path, uint32_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (uint32_t)n;
    return buf;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        putchar(*s >= 32 ? *s : ' ');
    }
    putchar('"');
}

static void print_summary(int status)
{
    printf("{\"status\":%d,\"error\":", status);
    print_json_string(status ? ctx.error : "");
    printf(",\"arena_used_bytes\":%zu,\"persistent_bytes\":%zu,\"tensors\":%d,\"nodes\":%d,\"ops\":[",
           ctx.arena_used_bytes, ctx.persistent_bytes, ctx.ntensors, ctx.nnodes);
    for (int i = 0; status == 0 && i < ctx.nnodes; i++) printf("%s\"%s\"", i ? "," : "", ctx.nodes[i].kernel->name);
    uint32_t in_bytes = 0, out_bytes = 0;
    if (status == 0) {
        pqk_input(&ctx, 0, &in_bytes);
        pqk_output(&ctx, 0, &out_bytes);
    }
    /* Per node, the arena bytes live while it runs (persistent data such as multipliers is counted once, above). */
    printf("],\"node_live_bytes\":[");
    for (int n = 0; status == 0 && n < ctx.nnodes; n++) printf("%s%zu", n ? "," : "", pqk_node_live_bytes(&ctx, n));
    printf("],\"input_bytes\":%u,\"output_bytes\":%u}\n", in_bytes, out_bytes);
}

static int run_batch(FILE *in, FILE *out, long count)
{
    uint32_t in_bytes, out_bytes;
    int8_t *x = pqk_input(&ctx, 0, &in_bytes);
    for (long i = 0; i < count; i++) {
        if (fread(x, 1, in_bytes, in) != in_bytes) {
            snprintf(ctx.error, sizeof ctx.error, "input file ends before sample %ld", i);
            return PQK_ERR_INPUT;
        }
        pqk_status s = pqk_invoke(&ctx);
        if (s != PQK_OK) return s;
        const int8_t *y = pqk_output(&ctx, 0, &out_bytes);
        fwrite(y, 1, out_bytes, out);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODEL.tflite INPUTS.bin COUNT OUTPUTS.bin [--optimized] [--x86-rounding]\n",
                argv[0]);
        return 64;
    }
    int flags = 0;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--optimized") == 0)
            flags |= PQK_INIT_OPTIMIZED;
        else if (strcmp(argv[i], "--x86-rounding") == 0)
            flags |= PQK_INIT_X86_ROUNDING;
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 64;
        }
    }
    uint32_t size = 0;
    uint8_t *model = read_file(argv[1], &size);
    if (!model) {
        fprintf(stderr, "cannot read model %s\n", argv[1]);
        return 66;
    }
    int status = pqk_init(&ctx, model, size, arena, sizeof arena, flags);
    const long count = strtol(argv[3], NULL, 10);
    if (status == 0 && count > 0) {
        FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[4], "wb");
        if (!in || !out) {
            fprintf(stderr, "cannot open %s or %s\n", argv[2], argv[4]);
            return 66;
        }
        status = run_batch(in, out, count);
        fclose(in);
        fclose(out);
    }
    print_summary(status);
    free(model);
    return status;
}
