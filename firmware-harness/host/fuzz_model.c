/* libFuzzer target: arbitrary bytes as a model (the first 64 bytes, when present, also as the input sample).
 * A malformed model must give an error status, never a crash, an out-of-bounds access or undefined behaviour. */
#include <stdint.h>
#include <string.h>

#include "../src/micro.h"

static uint8_t arena[1u << 20] __attribute__((aligned(16)));
static pqk_ctx ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 22)) return 0;
    /* The interpreter needs the model 16-byte aligned, as flash and file buffers are. */
    static uint8_t model[1u << 22] __attribute__((aligned(16)));
    memcpy(model, data, size);
    /* Odd sizes take the optimized kernel paths, even sizes the plain ones. */
    if (pqk_init(&ctx, model, (uint32_t)size, arena, sizeof arena, (int)(size & 3)) != PQK_OK)
        return 0; /* both kernel sets, both roundings */
    uint32_t in_bytes;
    int8_t *x = pqk_input(&ctx, 0, &in_bytes);
    for (uint32_t i = 0; i < in_bytes; i++) x[i] = (int8_t)data[i % (size ? size : 1)];
    pqk_invoke(&ctx);
    return 0;
}
