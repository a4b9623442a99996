/* The GEMM of the optimized CONV_2D path, int8 or packed int4 weights. The weights stay where the model keeps them
 * ([rows, depth]) and are widened in registers; the column holds PQK_GEMM_PIXELS output pixels' inputs, offset and
 * widened to int16 pairs, so each widened weight pair feeds four SMLADs: one output channel of four pixels per pass,
 * and no copy of the weights in RAM. The int32 sums are exact, so any summation order gives the plain path's.
 *
 * int8 (depth a multiple of 4): group g of four depth elements is one word of weights, split by SXTB16 into
 * A = (w[4g], w[4g+2]) and, with ROR #8, B = (w[4g+1], w[4g+3]); the column holds 8 words per group, pair A of
 * pixels 0..3 then pair B. 16 MACs in 13 instructions.
 *
 * int4 (depth a multiple of 8, two weights per byte, low nibble first): group g of eight is one word; each nibble
 * is moved to the top of its byte (LSL #4 and AND 0xf0f0f0f0 for the low ones, AND for the high ones) so that SXTB16
 * widens it times 16: (w0, w4), (w2, w6), (w1, w5), (w3, w7) of the group, in that order in the column (16 words).
 * 32 MACs in 31 instructions; the sums come out times 16 and are shifted back exactly (at most 65,535 terms of
 * 255 x 8 stay below 2^27), then the bias is added. */
#include <string.h>

#include "../pqk_features.h"
#include "kernels.h"
#include "simd.h"

static inline uint32_t pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}

int pqk_gemm_fits(int32_t depth, int is_int4)
{
    return depth > 0 && depth % (is_int4 ? 8 : 4) == 0;
}

uint32_t pqk_gemm_scratch_bytes(int32_t rows, int32_t depth, int is_int4)
{
    return pqk_gemm_col_bytes(rows, depth, is_int4) + (uint32_t)depth + PQK_GEMM_PIXELS * (uint32_t)rows;
}

void pqk_gemm_col_s8(const int8_t *x, int32_t offset, int32_t depth, int p, int is_int4, uint32_t *col)
{
    const uint32_t off2 = pack16(offset, offset);
    if (!is_int4) {
        for (int32_t g = 0; g < depth / 4; g++, col += 2 * PQK_GEMM_PIXELS) {
            const uint32_t x4 = pqk_load_u32(x + 4 * g);
            col[p] = pqk_sadd16(pqk_sxtb16(x4), off2);
            col[PQK_GEMM_PIXELS + p] = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
        }
        return;
    }
    for (int32_t g = 0; g < depth / 8; g++, col += 4 * PQK_GEMM_PIXELS) {
        const uint32_t lo = pqk_load_u32(x + 8 * g), hi = pqk_load_u32(x + 8 * g + 4);
        const uint32_t le = pqk_sadd16(pqk_sxtb16(lo), off2),
                       lodd = pqk_sadd16(pqk_sxtb16_ror8(lo), off2); /* (0,2) (1,3) */
        const uint32_t he = pqk_sadd16(pqk_sxtb16(hi), off2),
                       hodd = pqk_sadd16(pqk_sxtb16_ror8(hi), off2);        /* (4,6) (5,7) */
        col[p] = (le & 0xffffu) | (he << 16);                               /* (0, 4) */
        col[PQK_GEMM_PIXELS + p] = (le >> 16) | (he & 0xffff0000u);         /* (2, 6) */
        col[2 * PQK_GEMM_PIXELS + p] = (lodd & 0xffffu) | (hodd << 16);     /* (1, 5) */
        col[3 * PQK_GEMM_PIXELS + p] = (lodd >> 16) | (hodd & 0xffff0000u); /* (3, 7) */
    }
}

#if defined(PQK_DSP)
/* Four SMLADs of one widened weight pair (in lr) against the next four column words. */
#define PQK_GEMM_MAC4                                                                                                  \
    "ldm %[x]!, {r8, r9, r10, r11}\n\t"                                                                                \
    "smlad %[a0], lr, r8, %[a0]\n\t"                                                                                   \
    "smlad %[a1], lr, r9, %[a1]\n\t"                                                                                   \
    "smlad %[a2], lr, r10, %[a2]\n\t"                                                                                  \
    "smlad %[a3], lr, r11, %[a3]\n\t"
#define PQK_GEMM_OPERANDS                                                                                              \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w)                             \
    :                                                                                                                  \
    : "r8", "r9", "r10", "r11", "r12", "lr", "memory"
/* One group, written out because the compiler otherwise loads every operand of an unrolled step first and spills
 * accumulators. */
#define PQK_GEMM_STEP_S8()                                                                                             \
    __asm__("ldr r12, [%[w]], #4\n\t"                                                                                  \
            "sxtb16 lr, r12\n\t" PQK_GEMM_MAC4 "sxtb16 lr, r12, ror #8\n\t" PQK_GEMM_MAC4 PQK_GEMM_OPERANDS)
#define PQK_GEMM_STEP_S4()                                                                                             \
    __asm__("ldr r12, [%[w]], #4\n\t"                                                                                  \
            "lsl lr, r12, #4\n\t"                                                                                      \
            "and lr, lr, #0xf0f0f0f0\n\t"                                                                              \
            "sxtb16 lr, lr\n\t" PQK_GEMM_MAC4 "lsl lr, r12, #4\n\t"                                                    \
            "and lr, lr, #0xf0f0f0f0\n\t"                                                                              \
            "sxtb16 lr, lr, ror #8\n\t" PQK_GEMM_MAC4 "and lr, r12, #0xf0f0f0f0\n\t"                                   \
            "sxtb16 lr, lr\n\t" PQK_GEMM_MAC4 "and lr, r12, #0xf0f0f0f0\n\t"                                           \
            "sxtb16 lr, lr, ror #8\n\t" PQK_GEMM_MAC4 PQK_GEMM_OPERANDS)
#else
#define PQK_GEMM_MAC4(wp)                                                                                              \
    do {                                                                                                               \
        a0 = pqk_smlad(wp, x[0], a0), a1 = pqk_smlad(wp, x[1], a1);                                                    \
        a2 = pqk_smlad(wp, x[2], a2), a3 = pqk_smlad(wp, x[3], a3);                                                    \
        x += 4;                                                                                                        \
    } while (0)
#define PQK_GEMM_STEP_S8()                                                                                             \
    do {                                                                                                               \
        const uint32_t w4 = pqk_load_u32(w);                                                                           \
        PQK_GEMM_MAC4(pqk_sxtb16(w4));                                                                                 \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(w4));                                                                            \
        w += 4;                                                                                                        \
    } while (0)
#define PQK_GEMM_STEP_S4()                                                                                             \
    do {                                                                                                               \
        const uint32_t w8 = pqk_load_u32(w), low = (w8 << 4) & 0xf0f0f0f0u, high = w8 & 0xf0f0f0f0u;                   \
        PQK_GEMM_MAC4(pqk_sxtb16(low));                                                                                \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(low));                                                                           \
        PQK_GEMM_MAC4(pqk_sxtb16(high));                                                                               \
        PQK_GEMM_MAC4(pqk_sxtb16_ror8(high));                                                                          \
        w += 4;                                                                                                        \
    } while (0)
#endif

/* One output channel of four pixels: the sums over the depth. int8 sums start at the bias (the same int32 wrap
 * as adding it last); int4 sums are shifted back, then the bias added. */
#define PQK_GEMM_ROW(r)                                                                                                \
    const int32_t b = bias ? bias[r] : 0;                                                                              \
    int32_t a0 = is_int4 ? 0 : b, a1 = a0, a2 = a0, a3 = a0;                                                           \
    const int8_t *w = weights + (size_t)(r) * (size_t)(is_int4 ? depth / 2 : depth);                                   \
    const uint32_t *x = col;                                                                                           \
    if (is_int4) {                                                                                                     \
        for (int32_t g = groups; g > 0; g--) PQK_GEMM_STEP_S4();                                                       \
        a0 = pqk_add_wrap(a0 >> 4, b), a1 = pqk_add_wrap(a1 >> 4, b);                                                  \
        a2 = pqk_add_wrap(a2 >> 4, b), a3 = pqk_add_wrap(a3 >> 4, b);                                                  \
    } else {                                                                                                           \
        if (groups & 1) PQK_GEMM_STEP_S8();                                                                            \
        if (groups & 2) {                                                                                              \
            PQK_GEMM_STEP_S8();                                                                                        \
            PQK_GEMM_STEP_S8();                                                                                        \
        }                                                                                                              \
        for (int32_t g = groups >> 2; g > 0; g--) {                                                                    \
            PQK_GEMM_STEP_S8();                                                                                        \
            PQK_GEMM_STEP_S8();                                                                                        \
            PQK_GEMM_STEP_S8();                                                                                        \
            PQK_GEMM_STEP_S8();                                                                                        \
        }                                                                                                              \
    }

/* The usual case, decided at Prepare (op->rescale_short): the short rescale, seven instructions an output
 * (pqk_out_short); a clamp to the whole int8 range (a ReLU whose zero point is -128, or no activation) is one
 * saturating instruction, a ReLU's floor (hi 127) two more. Pixel p's value of row r goes to y[p * stride + r]. */
static inline __attribute__((always_inline)) void gemm_run_short(const pqk_op_data *op, const int8_t *weights,
                                                                 const uint32_t *col, const int32_t *bias, int8_t *y,
                                                                 int32_t stride, int is_int4, int clamp)
{
    const int32_t rows = op->gemm_rows, depth = op->gemm_depth, groups = depth / (is_int4 ? 8 : 4);
    const int32_t *mults = op->mults, *shifts = op->shifts;
    const int32_t lo = op->act_min, hi = op->act_max, k = 2 * op->out_offset + 1;
    for (int32_t r = 0; r < rows; r++, y++) {
        PQK_GEMM_ROW(r)
        const int32_t mult = mults[r], rm1 = ~shifts[r];
        int8_t *y2 = y + 2 * stride;
        y[0] = pqk_out_clamped(pqk_rescale_short_x2(a0, mult, rm1, k), clamp, lo, hi);
        y[stride] = pqk_out_clamped(pqk_rescale_short_x2(a1, mult, rm1, k), clamp, lo, hi);
        y2[0] = pqk_out_clamped(pqk_rescale_short_x2(a2, mult, rm1, k), clamp, lo, hi);
        y2[stride] = pqk_out_clamped(pqk_rescale_short_x2(a3, mult, rm1, k), clamp, lo, hi);
    }
}

/* The 2:4 row loop's case (DSP cores): the short rescale and a bias, any clamp; int4 weights when their sums times 16
 * fit it too (rescale_short 2). */
static int gemm_2of4_dsp_ok(const pqk_op_data *op, const int32_t *bias)
{
    return op->gemm_int4
               ? PQK_2OF4_S4 && op->rescale_short == 2 && bias && op->gemm_depth % 32 == 0 && op->gemm_rows > 0
               : op->rescale_short && bias && op->gemm_depth % 16 == 0 && op->gemm_rows > 0;
}

#if defined(PQK_DSP)
/* The int8 row loop with the short rescale and a clamp to the whole range or a ReLU's floor, for an even number of
 * groups, at least four, and a bias, written out as one block: the compiler's version of the same loop reloads its
 * state from the stack around every row's rescale (some 30 instructions a row more). Registers: r0-r3 the four
 * pixels' sums, r4 the column, r5 the weights (running across rows), r6 the group count, r8-r11 column words, r12
 * a weight word, lr a widened weight pair; everything else is in `gemm_dsp_state`, whose address is the one
 * register left. Each row's bias, multiplier and right shift less one are three words in the scratch, laid out
 * once per Eval (pqk_gemm_rows_begin), read by one LDM. */
typedef struct {
    const uint32_t *col;   /* 0 */
    int32_t steps;         /* 4: groups / 4, times 2, plus 1 where groups / 2 is odd (one two-group step first); 2:4:
                              depth / 16, int4 the table's end */
    const uint32_t *rows;  /* 8: this row's bias, multiplier, right shift less one; advances a row at a time */
    int8_t *y;             /* 12: advances a row at a time */
    int32_t stride;        /* 16 */
    int32_t k;             /* 20: 2 x output offset + 1 */
    uint32_t lo4;          /* 24: the floor in each byte */
    const int8_t *y_end;   /* 28 */
    const int8_t *weights; /* 32 */
    uint32_t hi4;          /* 36: the ceiling in each byte (the 2:4 loop's clamp at both ends) */
} gemm_dsp_state;

#define PQK_DSP_MAC4(rw)                                                                                               \
    "ldmia r4!, {r8, r9, r10, r11}\n\t"                                                                                \
    "smlad r0, " rw ", r8, r0\n\t"                                                                                     \
    "smlad r1, " rw ", r9, r1\n\t"                                                                                     \
    "smlad r2, " rw ", r10, r2\n\t"                                                                                    \
    "smlad r3, " rw ", r11, r3\n\t"
#define PQK_DSP_GROUP                                                                                                  \
    "ldr r12, [r5], #4\n\t"                                                                                            \
    "sxtb16 lr, r12\n\t" PQK_DSP_MAC4("lr") "sxtb16 lr, r12, ror #8\n\t" PQK_DSP_MAC4("lr")
/* The short rescale of r0-r3 from their sums (twice: 2 x the sum from it, PQK_DSP_TWICE; from int4 sums times 16,
 * PQK_DSP_TWICE_X16). */
#define PQK_DSP_TWICE(ra)     "lsl " ra ", " ra ", #1\n\t"
#define PQK_DSP_TWICE_X16(ra) "asr " ra ", " ra ", #3\n\t"
#define PQK_DSP_RESCALE(ra, twice)                                                                                     \
    twice(ra) "smmulr " ra ", " ra ", r12\n\t"                                                                         \
              "sub " ra ", " ra ", " ra ", lsr #31\n\t"                                                                \
              "asr " ra ", " ra ", lr\n\t"                                                                             \
              "add " ra ", " ra ", r9\n\t"                                                                             \
              "ssat " ra ", #8, " ra ", asr #1\n\t"
/* r0-r3 to the four pixels: r8 the first one's byte, r9 the stride. */
#define PQK_DSP_STORE                                                                                                  \
    "strb r0, [r8]\n\t"                                                                                                \
    "strb r1, [r8, r9]\n\t"                                                                                            \
    "add r10, r8, r9, lsl #1\n\t"                                                                                      \
    "strb r2, [r10]\n\t"                                                                                               \
    "strb r3, [r10, r9]\n\t"
/* The same after a floor on each byte: r0-r3 packed into r0, SSUB8 / SEL against the floor in every byte (and,
 * with PQK_DSP_CEILING, against the ceiling). */
#define PQK_DSP_CEILING                                                                                                \
    "ldr r10, [%[st], #36]\n\t"                                                                                        \
    "ssub8 r11, r0, r10\n\t"                                                                                           \
    "sel r0, r10, r0\n\t"
#define PQK_DSP_STORE_CLAMPED(ceiling)                                                                                 \
    "bfi r0, r1, #8, #8\n\t"                                                                                           \
    "bfi r0, r2, #16, #8\n\t"                                                                                          \
    "bfi r0, r3, #24, #8\n\t"                                                                                          \
    "ldr r10, [%[st], #24]\n\t"                                                                                        \
    "ssub8 r11, r0, r10\n\t"                                                                                           \
    "sel r0, r0, r10\n\t" ceiling "ldr r8, [%[st], #12]\n\t"                                                           \
    "ldr r9, [%[st], #16]\n\t"                                                                                         \
    "strb r0, [r8]\n\t"                                                                                                \
    "lsr r0, r0, #8\n\t"                                                                                               \
    "strb r0, [r8, r9]\n\t"                                                                                            \
    "lsr r0, r0, #8\n\t"                                                                                               \
    "add r10, r8, r9, lsl #1\n\t"                                                                                      \
    "strb r0, [r10]\n\t"                                                                                               \
    "lsr r0, r0, #8\n\t"                                                                                               \
    "strb r0, [r10, r9]\n\t"
#define PQK_DSP_STORE_FLOOR PQK_DSP_STORE_CLAMPED("")
/* The dense groups of one row: r6 the step count. */
#define PQK_DSP_DENSE_LOOP                                                                                             \
    "lsrs r6, r6, #1\n\t"                                                                                              \
    "bcc 2f\n\t" PQK_DSP_GROUP PQK_DSP_GROUP "2:\n\t" PQK_DSP_GROUP PQK_DSP_GROUP PQK_DSP_GROUP PQK_DSP_GROUP          \
    "subs r6, r6, #1\n\t"                                                                                              \
    "bne 2b\n\t"
#define PQK_DSP_ROWS(loop, store, twice)                                                                               \
    "ldr r5, [%[st], #32]\n\t"                                                                                         \
    "1:\n\t"                                                                                                           \
    "ldr r8, [%[st], #8]\n\t"                                                                                          \
    "ldr r0, [r8]\n\t"                                                                                                 \
    "mov r1, r0\n\t"                                                                                                   \
    "mov r2, r0\n\t"                                                                                                   \
    "mov r3, r0\n\t"                                                                                                   \
    "ldr r4, [%[st], #0]\n\t"                                                                                          \
    "ldr r6, [%[st], #4]\n\t" loop "ldr r8, [%[st], #8]\n\t"                                                           \
    "ldmia r8!, {r10, r12, lr}\n\t"                                                                                    \
    "str r8, [%[st], #8]\n\t"                                                                                          \
    "ldr r9, [%[st], #20]\n\t" PQK_DSP_RESCALE("r0", twice) PQK_DSP_RESCALE("r1", twice) PQK_DSP_RESCALE("r2", twice)  \
        PQK_DSP_RESCALE("r3", twice) store "ldr r8, [%[st], #12]\n\t"                                                  \
                                           "add r8, r8, #1\n\t"                                                        \
                                           "str r8, [%[st], #12]\n\t"                                                  \
                                           "ldr r9, [%[st], #28]\n\t"                                                  \
                                           "cmp r8, r9\n\t"                                                            \
                                           "bne 1b"
#define PQK_DSP_CLOBBERS "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"

#define PQK_DSP_STORE_PLAIN "ldr r8, [%[st], #12]\n\tldr r9, [%[st], #16]\n\t" PQK_DSP_STORE

static void gemm_rows_dsp(gemm_dsp_state *st, int floor)
{
    if (floor)
        __asm__ volatile(PQK_DSP_ROWS(PQK_DSP_DENSE_LOOP, PQK_DSP_STORE_FLOOR, PQK_DSP_TWICE)
                         :
                         : [st] "r"(st)
                         : PQK_DSP_CLOBBERS);
    else
        __asm__ volatile(PQK_DSP_ROWS(PQK_DSP_DENSE_LOOP, PQK_DSP_STORE_PLAIN, PQK_DSP_TWICE)
                         :
                         : [st] "r"(st)
                         : PQK_DSP_CLOBBERS);
}

/* 2:4: one group's two weights (widened, in the state's register) against the table entry at r8 for four pixels. */
#define PQK_DSP_2OF4_MAC4                                                                                              \
    "ldm r8, {r8, r9, r10, r11}\n\t"                                                                                   \
    "smlad r0, %[st], r8, r0\n\t"                                                                                      \
    "smlad r1, %[st], r9, r1\n\t"                                                                                      \
    "smlad r2, %[st], r10, r2\n\t"                                                                                     \
    "smlad r3, %[st], r11, r3\n\t"
/* Four groups a step (r6 steps): r12 their four entry offsets, lr two groups' weights; the weight pair takes the
 * state's register, reloaded from the stack after the row. 35 instructions for 32 MACs of a row and four pixels
 * (the dense loop: 52 for 64, half of them products with a zero). */
#define PQK_DSP_2OF4_LOOP                                                                                              \
    "2:\n\t"                                                                                                           \
    "ldr r12, [r5], #4\n\t"                                                                                            \
    "ldr lr, [r5], #4\n\t"                                                                                             \
    "sxtb16 %[st], lr\n\t"                                                                                             \
    "uxtab r8, r4, r12\n\t" PQK_DSP_2OF4_MAC4 "sxtb16 %[st], lr, ror #8\n\t"                                           \
    "uxtab r8, r4, r12, ror #8\n\t" PQK_DSP_2OF4_MAC4 "add r4, r4, #192\n\t"                                           \
    "ldr lr, [r5], #4\n\t"                                                                                             \
    "sxtb16 %[st], lr\n\t"                                                                                             \
    "uxtab r8, r4, r12, ror #16\n\t" PQK_DSP_2OF4_MAC4 "sxtb16 %[st], lr, ror #8\n\t"                                  \
    "add r8, r4, r12, lsr #24\n\t" PQK_DSP_2OF4_MAC4 "add r4, r4, #192\n\t"                                            \
    "subs r6, r6, #1\n\t"                                                                                              \
    "bne 2b\n\t"                                                                                                       \
    "ldr %[st], [sp]\n\t"

/* int4: four groups of one weight word (lr), their entry numbers in r12's low 16 bits: r6 holds the word's low or
 * high nibbles moved to the top of each byte, SXTB16 widens a group's pair times 16 into the state's register. */
#define PQK_DSP_2OF4_S4_ENTRY(bits)                                                                                    \
    "ubfx r8, r12, #" bits ", #4\n\t"                                                                                  \
    "add r8, r4, r8, lsl #4\n\t"
#define PQK_DSP_2OF4_S4_WORD                                                                                           \
    "lsl r6, lr, #4\n\t"                                                                                               \
    "and r6, r6, #0xf0f0f0f0\n\t"                                                                                      \
    "sxtb16 %[st], r6\n\t" PQK_DSP_2OF4_S4_ENTRY("0") PQK_DSP_2OF4_MAC4                                                \
        "sxtb16 %[st], r6, ror #8\n\t" PQK_DSP_2OF4_S4_ENTRY("4") PQK_DSP_2OF4_MAC4                                    \
        "add r4, r4, #192\n\t"                                                                                         \
        "and r6, lr, #0xf0f0f0f0\n\t"                                                                                  \
        "sxtb16 %[st], r6\n\t" PQK_DSP_2OF4_S4_ENTRY("8") PQK_DSP_2OF4_MAC4                                            \
        "sxtb16 %[st], r6, ror #8\n\t" PQK_DSP_2OF4_S4_ENTRY("12") PQK_DSP_2OF4_MAC4 "add r4, r4, #192\n\t"
/* Eight groups a step, r12 their entry numbers, until the table's end (the state's step word, which r6 brings in
 * and the stack keeps). 81 instructions for 32 depth elements of a row and four pixels (the dense int4 loop: 124). */
#define PQK_DSP_2OF4_S4_LOOP                                                                                           \
    "push {r6}\n\t"                                                                                                    \
    "2:\n\t"                                                                                                           \
    "ldr r12, [r5], #4\n\t"                                                                                            \
    "ldr lr, [r5], #4\n\t" PQK_DSP_2OF4_S4_WORD "ldr lr, [r5], #4\n\t"                                                 \
    "lsr r12, r12, #16\n\t" PQK_DSP_2OF4_S4_WORD "ldr r8, [sp]\n\t"                                                    \
    "cmp r4, r8\n\t"                                                                                                   \
    "bne 2b\n\t"                                                                                                       \
    "add sp, sp, #4\n\t"                                                                                               \
    "ldr %[st], [sp]\n\t"

/* clamp: a floor, a ceiling or both on the outputs (one loop: a ReLU's floor alone takes a ceiling of 127), or
 * neither. int4: the sums come times 16 (the row words' biases too), and one loop clamps always (the state's floor and
 * ceiling are the whole range where the op has none), which keeps its code to one copy. */
static void gemm_2of4_rows_dsp(gemm_dsp_state *st, int clamp, int is_int4)
{
    if (PQK_2OF4_S4 && is_int4)
        __asm__ volatile("push {%[st]}\n\t" PQK_DSP_ROWS(PQK_DSP_2OF4_S4_LOOP, PQK_DSP_STORE_CLAMPED(PQK_DSP_CEILING),
                                                         PQK_DSP_TWICE_X16) "\n\tadd sp, sp, #4"
                         :
                         : [st] "r"(st)
                         : PQK_DSP_CLOBBERS);
    else if (PQK_2OF4_S8 && clamp)
        __asm__ volatile("push {%[st]}\n\t" PQK_DSP_ROWS(PQK_DSP_2OF4_LOOP, PQK_DSP_STORE_CLAMPED(PQK_DSP_CEILING),
                                                         PQK_DSP_TWICE) "\n\tadd sp, sp, #4"
                         :
                         : [st] "r"(st)
                         : PQK_DSP_CLOBBERS);
    else if (PQK_2OF4_S8)
        __asm__ volatile(
            "push {%[st]}\n\t" PQK_DSP_ROWS(PQK_DSP_2OF4_LOOP, PQK_DSP_STORE_PLAIN, PQK_DSP_TWICE) "\n\tadd sp, sp, #4"
            :
            : [st] "r"(st)
            : PQK_DSP_CLOBBERS);
}

static int gemm_dsp_rows_ok(const pqk_op_data *op, const int32_t *bias)
{
    const int32_t groups = op->gemm_depth / 4;
    return op->rescale_short && !op->gemm_int4 && pqk_clamp_kind(op->act_min, op->act_max) != PQK_CLAMP_BOTH && bias &&
           groups % 2 == 0 && groups >= 4 && op->gemm_rows > 0;
}

/* The three words per row the DSP row loop reads, after the DSP column (or the 2:4 table) in the column area. */
static uint32_t *gemm_dsp_rows(const pqk_op_data *op, const uint32_t *col)
{
    return (uint32_t *)col + (PQK_2OF4 && op->gemm_2of4 ? 6 : 2) * PQK_GEMM_PIXELS * op->gemm_depth / 4;
}
#endif

void pqk_gemm_rows_begin(const pqk_op_data *op, const int32_t *bias, uint32_t *col)
{
#if defined(PQK_DSP)
    if (!(PQK_2OF4 && op->gemm_2of4 ? gemm_2of4_dsp_ok(op, bias) : gemm_dsp_rows_ok(op, bias))) return;
    uint32_t *rows = gemm_dsp_rows(op, col);
    const uint32_t times = PQK_2OF4_S4 && op->gemm_2of4 && op->gemm_int4 ? 16u : 1u; /* int4 2:4 sums come times 16 */
    for (int32_t r = 0; r < op->gemm_rows; r++, rows += 3)
        rows[0] = (uint32_t)bias[r] * times, rows[1] = (uint32_t)op->mults[r], rows[2] = ~(uint32_t)op->shifts[r];
#else
    (void)op, (void)bias, (void)col;
#endif
}

static void gemm_run_general(const pqk_op_data *op, const int8_t *weights, const uint32_t *col, const int32_t *bias,
                             int8_t *y, int32_t stride, int is_int4)
{
    const int32_t rows = op->gemm_rows, depth = op->gemm_depth, groups = depth / (is_int4 ? 8 : 4);
    for (int32_t r = 0; r < rows; r++) {
        PQK_GEMM_ROW(r)
        y[r] = pqk_requant_gemm(op, a0, 0, r);
        y[stride + r] = pqk_requant_gemm(op, a1, 0, r);
        y[2 * stride + r] = pqk_requant_gemm(op, a2, 0, r);
        y[3 * stride + r] = pqk_requant_gemm(op, a3, 0, r);
    }
}

void pqk_gemm_run(const pqk_op_data *op_in, const int8_t *weights, const uint32_t *col, const int32_t *bias, int8_t *y,
                  int32_t stride)
{
    const pqk_op_data op = *op_in; /* a local copy: the int8 stores cannot alias it, so no reloads */
    const int clamp = pqk_clamp_kind(op.act_min, op.act_max);
#if defined(PQK_DSP)
    if (gemm_dsp_rows_ok(op_in, bias)) {
        const int32_t groups = op.gemm_depth / 4;
        gemm_dsp_state st = {col,
                             groups / 4 * 2 + (groups / 2) % 2,
                             gemm_dsp_rows(op_in, col),
                             y,
                             stride,
                             2 * op.out_offset + 1,
                             (uint8_t)op.act_min * 0x01010101u,
                             y + op.gemm_rows,
                             weights,
                             0x7f7f7f7fu};
        gemm_rows_dsp(&st, clamp == PQK_CLAMP_FLOOR);
        return;
    }
#endif
    if (op.rescale_short && !op.gemm_int4 && clamp == PQK_CLAMP_NONE)
        gemm_run_short(&op, weights, col, bias, y, stride, 0, PQK_CLAMP_NONE);
    else if (op.rescale_short && !op.gemm_int4 && clamp == PQK_CLAMP_FLOOR)
        gemm_run_short(&op, weights, col, bias, y, stride, 0, PQK_CLAMP_FLOOR);
    else if (op.rescale_short && !op.gemm_int4)
        gemm_run_short(&op, weights, col, bias, y, stride, 0, PQK_CLAMP_BOTH);
    else if (op.rescale_short) /* int4: one body, the output range tested per value */
        gemm_run_short(&op, weights, col, bias, y, stride, 1, clamp);
    else
        gemm_run_general(&op, weights, col, bias, y, stride, op.gemm_int4);
}

/* 2:4 weights: in each group of four depth elements at most two weights are not zero, and only those two are stored
 * and multiplied. Packed form (written by pqk beside the dense weights, metadata "pqk_2of4"), per row, per four
 * groups 12 bytes: a word of four entry offsets, then one word per two groups holding their weight pairs (a0, a1,
 * b0, b1): SXTB16 gives group 0's (a, b), with ROR #8 group 1's. A group's pair (i, j), i < j, is one of six,
 * numbered (0,1) (0,2) (0,3) (1,2) (1,3) (2,3); its entry offset is 16 x that number, plus 96 for the second group
 * of two. Each pixel's table holds, per group, the six pairs of its inputs, offset and widened to int16 pairs, for
 * the four pixels side by side (96 bytes a group): a row reads its groups' pairs at base + offset and the base
 * moves 192 bytes every two groups. A group with fewer than two weights names any pair that holds them.
 * int4 weights, per row, per eight groups 12 bytes: a word of eight entry numbers, a nibble each (the entry offset
 * over 16), then per four groups a word of their weights, a nibble each, where a dense int4 word's widening puts
 * them: group 0's pair in the low nibbles of bytes 0 and 2, group 1's of bytes 1 and 3, groups 2 and 3 in the high
 * nibbles. The same table serves both. */
static const uint8_t pairs24[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};

/* is_int4 as the build has it: a build with one type's packed path only (a bundle's) drops the other's code. */
#define PACKED_INT4(is_int4) (PQK_2OF4_S8 ? PQK_2OF4_S4 && (is_int4) : 1)

static inline int32_t nibble_s4(uint32_t v)
{
    return (int32_t)(v << 28) >> 28;
}

/* Group k's entry number (int4: a nibble of the block's first word; int8: the offset byte over 16). */
static inline uint32_t group_number(const uint8_t *block, uint32_t k, int is_int4)
{
    return is_int4 ? pqk_load_u32(block) >> (4 * k) & 15u : block[k] / 16u;
}

void pqk_2of4_group(const uint8_t *row, uint32_t d, int is_int4, int32_t *at, int32_t *w)
{
    is_int4 = PACKED_INT4(is_int4);
    const uint32_t span = is_int4 ? 32 : 16, k = d % span / 4;
    const uint8_t *block = row + d / span * 12;
    const uint8_t *pair = pairs24[group_number(block, k, is_int4) - (k & 1) * 6];
    at[0] = pair[0], at[1] = pair[1];
    if (is_int4) {
        const uint8_t *ws = block + 4 + 4 * (k / 4) + (k & 1);
        const uint32_t shift = (k & 2) ? 4 : 0;
        w[0] = nibble_s4(ws[0] >> shift), w[1] = nibble_s4(ws[2] >> shift);
        return;
    }
    const int8_t *ws = (const int8_t *)block + 4 + 4 * (k / 2) + (k & 1);
    w[0] = ws[0], w[1] = ws[2];
}

int32_t pqk_2of4_weight(const uint8_t *row, uint32_t d, int is_int4)
{
    int32_t at[2], w[2];
    pqk_2of4_group(row, d & ~3u, is_int4, at, w);
    return (int32_t)(d % 4) == at[0] ? w[0] : (int32_t)(d % 4) == at[1] ? w[1] : 0;
}

int pqk_2of4_matches(const uint8_t *packed, const int8_t *dense, int32_t rows, int32_t depth, int is_int4)
{
    is_int4 = PACKED_INT4(is_int4);
    const uint32_t span = is_int4 ? 32 : 16, row_bytes = (uint32_t)depth / span * 12;
    for (uint32_t d = 0; d < (uint32_t)rows * (uint32_t)depth; d += 4) {
        const uint8_t *row = packed + d / (uint32_t)depth * row_bytes;
        const uint32_t k = d % span / 4, n = group_number(row + d % (uint32_t)depth / span * 12, k, is_int4);
        if (!is_int4 && row[d % (uint32_t)depth / 16 * 12 + k] % 16 != 0) return 0; /* an offset off the grid */
        if (n < 6 * (k & 1) || n >= 6 * (k & 1) + 6) return 0;                      /* a number that names no pair */
        int32_t at[2], w[2], want[4] = {0, 0, 0, 0};
        pqk_2of4_group(row, d % (uint32_t)depth, is_int4, at, w);
        want[at[0]] = w[0], want[at[1]] = w[1];
        if (dense)
            for (uint32_t j = 0; j < 4; j++)
                if (pqk_weight(dense, is_int4, d + j) != want[j]) return 0;
    }
    return 1;
}

/* Where the packed path runs beside dense weights, decided on the op alone: the DSP row loop's case (the short
 * rescale and a bias) and at least 16 rows, over which the table (three times the dense column's work) is repaid:
 * per group of four pixels the table costs some 40 instructions more, and each row saves about 4. */
int pqk_gemm_2of4_pays(const pqk_op_data *op, const int32_t *bias)
{
    return gemm_2of4_dsp_ok(op, bias) && op->gemm_rows >= 16;
}

void pqk_gemm_2of4_col(const int8_t *x, int32_t offset, int32_t depth, int p, uint32_t *table)
{
    const uint32_t off2 = pack16(offset, offset);
    const int8_t *end = x + depth;
    for (uint32_t *t = table + p; x < end; x += 4, t += 6 * PQK_GEMM_PIXELS) {
        const uint32_t x4 = pqk_load_u32(x);
        const uint32_t e = pqk_sadd16(pqk_sxtb16(x4), off2), o = pqk_sadd16(pqk_sxtb16_ror8(x4), off2);
        t[0] = pqk_pkhbt_lsl16(e, o);  /* (0, 1) */
        t[4] = e;                      /* (0, 2) */
        t[8] = pqk_pkhbt(e, o);        /* (0, 3) */
        t[12] = pqk_pkhbt(o, e);       /* (1, 2) */
        t[16] = o;                     /* (1, 3) */
        t[20] = pqk_pkhtb_asr16(o, e); /* (2, 3) */
    }
}

static inline __attribute__((always_inline)) void gemm_2of4_mac4(uint32_t w2, const uint8_t *entry, int32_t *a)
{
    const uint32_t *x = (const uint32_t *)(const void *)entry;
    a[0] = pqk_smlad(w2, x[0], a[0]), a[1] = pqk_smlad(w2, x[1], a[1]);
    a[2] = pqk_smlad(w2, x[2], a[2]), a[3] = pqk_smlad(w2, x[3], a[3]);
}

/* The C loop (the hosts' path, and on DSP cores packed-only weights without the short rescale or a bias): the
 * plain rescale, any clamp. int4 weights widen times 16 (as the dense int4 GEMM's), their sums shifted back. */
static void gemm_2of4_run_c(const pqk_op_data *op, const uint8_t *packed, const uint32_t *table, const int32_t *bias,
                            int8_t *y, int32_t stride)
{
    for (int32_t r = 0; r < op->gemm_rows; r++) {
        const int32_t b = bias ? bias[r] : 0;
        const uint8_t *t = (const uint8_t *)table;
        if (PQK_2OF4_S4 && op->gemm_int4) {
            int32_t a[4] = {0, 0, 0, 0};
            for (int32_t d = 0; d < op->gemm_depth; d += 32, packed += 12, t += 768) {
                const uint32_t n = pqk_load_u32(packed);
                for (int h = 0; h < 2; h++) {
                    const uint32_t w8 = pqk_load_u32(packed + 4 + 4 * h), low = (w8 << 4) & 0xf0f0f0f0u,
                                   high = w8 & 0xf0f0f0f0u;
                    const uint8_t *th = t + 384 * h;
                    const uint32_t nh = n >> (16 * h);
                    gemm_2of4_mac4(pqk_sxtb16(low), th + 16 * (nh & 15u), a);
                    gemm_2of4_mac4(pqk_sxtb16_ror8(low), th + 16 * (nh >> 4 & 15u), a);
                    gemm_2of4_mac4(pqk_sxtb16(high), th + 192 + 16 * (nh >> 8 & 15u), a);
                    gemm_2of4_mac4(pqk_sxtb16_ror8(high), th + 192 + 16 * (nh >> 12 & 15u), a);
                }
            }
            for (int p = 0; p < PQK_GEMM_PIXELS; p++)
                y[p * stride + r] = pqk_requant_gemm(op, pqk_add_wrap(a[p] >> 4, b), 0, r);
            continue;
        }
        if (!PQK_2OF4_S8) continue;
        int32_t a[4] = {b, b, b, b};
        for (int32_t d = 0; d < op->gemm_depth; d += 16, packed += 12, t += 384) {
            const uint32_t offs = pqk_load_u32(packed), w01 = pqk_load_u32(packed + 4), w23 = pqk_load_u32(packed + 8);
            gemm_2of4_mac4(pqk_sxtb16(w01), t + (offs & 0xffu), a);
            gemm_2of4_mac4(pqk_sxtb16_ror8(w01), t + (offs >> 8 & 0xffu), a);
            gemm_2of4_mac4(pqk_sxtb16(w23), t + 192 + (offs >> 16 & 0xffu), a);
            gemm_2of4_mac4(pqk_sxtb16_ror8(w23), t + 192 + (offs >> 24), a);
        }
        for (int p = 0; p < PQK_GEMM_PIXELS; p++) y[p * stride + r] = pqk_requant_gemm(op, a[p], 0, r);
    }
}

void pqk_gemm_2of4_run(const pqk_op_data *op, const uint8_t *packed, const uint32_t *table, const int32_t *bias,
                       int8_t *y, int32_t stride)
{
#if defined(PQK_DSP)
    if (gemm_2of4_dsp_ok(op, bias)) {      /* the biases are in the rows' words */
        const int is_int4 = op->gemm_int4; /* int4: the step word is the table's end */
        gemm_dsp_state st = {table,
                             is_int4 ? (int32_t)(uintptr_t)((const uint8_t *)table + 24 * op->gemm_depth)
                                     : op->gemm_depth / 16,
                             gemm_dsp_rows(op, table),
                             y,
                             stride,
                             2 * op->out_offset + 1,
                             (uint8_t)op->act_min * 0x01010101u,
                             y + op->gemm_rows,
                             (const int8_t *)packed,
                             (uint8_t)op->act_max * 0x01010101u};
        gemm_2of4_rows_dsp(&st, pqk_clamp_kind(op->act_min, op->act_max) != PQK_CLAMP_NONE, is_int4);
        return;
    }
#endif
    gemm_2of4_run_c(op, packed, table, bias, y, stride);
}

#if defined(PQK_MVE)
/* Helium. The four pixels' int8 inputs sit in the column interleaved by 16-byte chunks (chunk c of pixel p at
 * byte (4c + p) x 16, pqk_gemm_col_mve), so one pointer with immediate offsets reads all four; each row's weights,
 * 16 per vector, feed four VMLADAVAs. The input offset is not added per product: sum(w * (x + offset)) = sum(w * x) +
 * offset * sum(w) exactly, modulo 2^32 as the plain path's sums, and base[r] = bias + offset * sum(w) is computed
 * once per Eval (pqk_gemm_bases_mve). A last chunk shorter than 16 loads its weights predicated (zeros past the
 * row), so whatever the column holds there adds nothing. With the short rescale, the four pixels' sums are
 * rescaled as one vector and scattered to their rows with one VSTRB. */
void pqk_gemm_col_mve(const int8_t *x, int32_t depth, int p, int is_int4, int8_t *col)
{
    if (is_int4) { /* VLD2 splits 32 inputs into their even and odd elements, as the nibbles of 16 weight bytes */
        for (int32_t d = 0; d < depth; d += 32, x += 32) {
            int8_t *dst = col + (d / 32 * PQK_GEMM_PIXELS + p) * 32;
            if (depth - d >= 32) {
                const int8x16x2_t v = vld2q_s8(x);
                vstrbq_s8(dst, v.val[0]), vstrbq_s8(dst + 16, v.val[1]);
            } else { /* a last chunk of 8, 16 or 24: the weights past the row are loaded as zeros */
                for (int32_t i = 0; i < depth - d; i++) dst[(i & 1) * 16 + i / 2] = x[i];
            }
        }
        return;
    }
    for (int32_t d = 0; d < depth; d += 16, x += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(depth - d));
        vstrbq_p_s8(col + (d / 16 * PQK_GEMM_PIXELS + p) * 16, vldrbq_z_s8(x, pr), pr);
    }
}

void pqk_gemm_bases_mve(const pqk_op_data *op, const int8_t *weights, const int32_t *bias, int32_t *base)
{
    const int32_t depth = op->gemm_depth, row_bytes = op->gemm_int4 ? depth / 2 : depth;
    for (int32_t r = 0; r < op->gemm_rows; r++) {
        const int8_t *w = weights + (size_t)r * (size_t)row_bytes;
        int32_t ws = 0;
        for (int32_t d = 0; d < row_bytes; d += 16) {
            const mve_pred16_t p = vctp8q((uint32_t)(row_bytes - d));
            const int8x16_t b = vldrbq_z_s8(w + d, p);
            if (op->gemm_int4) {
                int8x16_t even, odd;
                pqk_nibbles_mve(b, &even, &odd);
                ws = vaddvaq_s8(vaddvaq_s8(ws, even), odd);
            } else {
                ws = vaddvaq_s8(ws, b);
            }
        }
        base[r] = (int32_t)((uint32_t)(bias ? bias[r] : 0) + (uint32_t)op->in_offset * (uint32_t)ws);
    }
}

/* One row's four sums to the output bytes: the short rescale on the vector of the four pixels, scattered. */
static inline __attribute__((always_inline)) void gemm_mve_out(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                                               int32_t mult, int32_t shift, int32_t k, int32x4_t vlo,
                                                               int32x4_t vhi, uint32x4_t voffs, int8_t *y)
{
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1), acc = vsetq_lane_s32(a2, acc, 2), acc = vsetq_lane_s32(a3, acc, 3);
    vstrbq_scatter_offset_s32(y, voffs, pqk_out_short_mve_n(acc, mult, shift + 1, k, vlo, vhi));
}

/* Two rows' sums over whole 16-byte chunks: each load of the four pixels' inputs feeds both rows' VMLADAVAs, 16
 * instructions for 128 MACs. Written out because VMLADAVA accumulates only into even registers, which the compiler
 * otherwise reaches through moves and spills; the column pointer starts 16 bytes early so that the last load's
 * writeback advances it. */
#define PQK_MVE_ROWS2(n_, w_, v_, x_)                                                                                  \
    do {                                                                                                               \
        register int32_t ra0 __asm__("r0") = a0, ra1 __asm__("r2") = a1, ra2 __asm__("r4") = a2;                       \
        register int32_t ra3 __asm__("r6") = a3, rb0 __asm__("r8") = b0, rb1 __asm__("r10") = b1;                      \
        register int32_t rb2 __asm__("r12") = b2, rb3 __asm__("lr") = b3;                                              \
        const int8_t *xb = (x_)-16;                                                                                    \
        __asm__("1:\n\t"                                                                                               \
                "vldrb.8 q0, [%[w]], #16\n\t"                                                                          \
                "vldrb.8 q1, [%[v]], #16\n\t"                                                                          \
                "vldrb.8 q2, [%[x], #16]\n\t"                                                                          \
                "vldrb.8 q3, [%[x], #32]\n\t"                                                                          \
                "vmladava.s8 %[a0], q0, q2\n\t"                                                                        \
                "vmladava.s8 %[b0], q1, q2\n\t"                                                                        \
                "vmladava.s8 %[a1], q0, q3\n\t"                                                                        \
                "vmladava.s8 %[b1], q1, q3\n\t"                                                                        \
                "vldrb.8 q2, [%[x], #48]\n\t"                                                                          \
                "vldrb.8 q3, [%[x], #64]!\n\t"                                                                         \
                "vmladava.s8 %[a2], q0, q2\n\t"                                                                        \
                "vmladava.s8 %[b2], q1, q2\n\t"                                                                        \
                "vmladava.s8 %[a3], q0, q3\n\t"                                                                        \
                "vmladava.s8 %[b3], q1, q3\n\t"                                                                        \
                "subs %[n], %[n], #1\n\t"                                                                              \
                "bne 1b"                                                                                               \
                : [a0] "+r"(ra0), [a1] "+r"(ra1), [a2] "+r"(ra2), [a3] "+r"(ra3), [b0] "+r"(rb0), [b1] "+r"(rb1),      \
                  [b2] "+r"(rb2), [b3] "+r"(rb3), [w] "+r"(w_), [v] "+r"(v_), [x] "+r"(xb), [n] "+r"(n_)               \
                :                                                                                                      \
                : "q0", "q1", "q2", "q3", "memory", "cc");                                                             \
        a0 = ra0, a1 = ra1, a2 = ra2, a3 = ra3, b0 = rb0, b1 = rb1, b2 = rb2, b3 = rb3;                                \
    } while (0)

/* Rows in pairs (PQK_MVE_ROWS2), then an odd last row. */
static void gemm_mve_short(const pqk_op_data *op, const int8_t *weights, const int8_t *col, const int32_t *base,
                           int8_t *y, int32_t stride)
{
    const int32_t depth = op->gemm_depth, whole = depth / 16, rest = depth % 16, rows = op->gemm_rows;
    const int32_t *mults = op->mults, *shifts = op->shifts;
    const int32_t k = 2 * op->out_offset + 1;
    const int32x4_t vlo = vdupq_n_s32(op->act_min), vhi = vdupq_n_s32(op->act_max);
    const uint32x4_t voffs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)stride);
    const mve_pred16_t tail = vctp8q((uint32_t)rest);
    int32_t r = 0;
    for (; r + 2 <= rows; r += 2) {
        const int8_t *w = weights + (size_t)r * depth, *v = w + depth;
        int32_t a0 = base[r], a1 = a0, a2 = a0, a3 = a0, b0 = base[r + 1], b1 = b0, b2 = b0, b3 = b0;
        if (whole > 0) {
            int32_t n = whole;
            PQK_MVE_ROWS2(n, w, v, col);
        }
        if (rest) {
            const int8_t *xp = col + whole * 64;
            const int8x16_t wv = vldrbq_z_s8(w, tail), vv = vldrbq_z_s8(v, tail);
            const int8x16_t x0 = vldrbq_s8(xp), x1 = vldrbq_s8(xp + 16);
            a0 = vmladavaq_s8(a0, wv, x0), b0 = vmladavaq_s8(b0, vv, x0);
            a1 = vmladavaq_s8(a1, wv, x1), b1 = vmladavaq_s8(b1, vv, x1);
            const int8x16_t x2 = vldrbq_s8(xp + 32), x3 = vldrbq_s8(xp + 48);
            a2 = vmladavaq_s8(a2, wv, x2), b2 = vmladavaq_s8(b2, vv, x2);
            a3 = vmladavaq_s8(a3, wv, x3), b3 = vmladavaq_s8(b3, vv, x3);
        }
        gemm_mve_out(a0, a1, a2, a3, mults[r], shifts[r], k, vlo, vhi, voffs, y + r);
        gemm_mve_out(b0, b1, b2, b3, mults[r + 1], shifts[r + 1], k, vlo, vhi, voffs, y + r + 1);
    }
    if (r < rows) { /* an odd last row */
        const int8_t *w = weights + (size_t)r * depth, *xp = col;
        int32_t a0 = base[r], a1 = a0, a2 = a0, a3 = a0;
        for (int32_t d = 0; d < depth; d += 16, w += 16, xp += 64) {
            const int8x16_t wv = vldrbq_z_s8(w, vctp8q((uint32_t)(depth - d)));
            a0 = vmladavaq_s8(a0, wv, vldrbq_s8(xp)), a1 = vmladavaq_s8(a1, wv, vldrbq_s8(xp + 16));
            a2 = vmladavaq_s8(a2, wv, vldrbq_s8(xp + 32)), a3 = vmladavaq_s8(a3, wv, vldrbq_s8(xp + 48));
        }
        gemm_mve_out(a0, a1, a2, a3, mults[r], shifts[r], k, vlo, vhi, voffs, y + r);
    }
}

/* One pixel's even half (at byte `e` of the chunk) against both rows' even weights, its odd half against the odd. */
#define PQK_MVE_INT4_PIXEL(a, b, e, o)                                                                                 \
    "vldrb.8 q4, [%[x], #" #e "]\n\t"                                                                                  \
    "vldrb.8 q5, [%[x], #" #o "]\n\t"                                                                                  \
    "vmladava.s8 %[" #a "], q2, q4\n\t"                                                                                \
    "vmladava.s8 %[" #b "], q3, q4\n\t"                                                                                \
    "vmladava.s8 %[" #a "], q0, q5\n\t"                                                                                \
    "vmladava.s8 %[" #b "], q1, q5\n\t"
/* Both rows' 16 bytes of the chunk, split into even (q2, q3) and odd (q0, q1) weights. */
#define PQK_MVE_INT4_WEIGHTS                                                                                           \
    "vldrb.8 q0, [%[w]], #16\n\t"                                                                                      \
    "vldrb.8 q1, [%[v]], #16\n\t"                                                                                      \
    "vshl.i8 q2, q0, #4\n\t"                                                                                           \
    "vshl.i8 q3, q1, #4\n\t"                                                                                           \
    "vshr.s8 q0, q0, #4\n\t"                                                                                           \
    "vshr.s8 q1, q1, #4\n\t"                                                                                           \
    "vshr.s8 q2, q2, #4\n\t"                                                                                           \
    "vshr.s8 q3, q3, #4\n\t"
/* The next chunk. */
#define PQK_MVE_INT4_NEXT                                                                                              \
    "add %[x], %[x], #128\n\t"                                                                                         \
    "subs %[n], %[n], #1\n\t"                                                                                          \
    "bne 1b"
/* int4 weights, two rows over whole 32-element chunks: each row's 16 bytes give its even and odd weights in three
 * shifts (as pqk_nibbles_mve), and each of the four pixels' even and odd halves feeds both rows: 35 instructions
 * for 256 MACs. */
#define PQK_MVE_ROWS2_INT4(n_, w_, v_, x_)                                                                             \
    do {                                                                                                               \
        register int32_t ra0 __asm__("r0") = a0, ra1 __asm__("r2") = a1, ra2 __asm__("r4") = a2;                       \
        register int32_t ra3 __asm__("r6") = a3, rb0 __asm__("r8") = b0, rb1 __asm__("r10") = b1;                      \
        register int32_t rb2 __asm__("r12") = b2, rb3 __asm__("lr") = b3;                                              \
        const int8_t *xb = (x_);                                                                                       \
        __asm__("1:\n\t" PQK_MVE_INT4_WEIGHTS PQK_MVE_INT4_PIXEL(a0, b0, 0, 16) PQK_MVE_INT4_PIXEL(a1, b1, 32, 48)     \
                    PQK_MVE_INT4_PIXEL(a2, b2, 64, 80) PQK_MVE_INT4_PIXEL(a3, b3, 96, 112) PQK_MVE_INT4_NEXT           \
                : [a0] "+r"(ra0), [a1] "+r"(ra1), [a2] "+r"(ra2), [a3] "+r"(ra3), [b0] "+r"(rb0), [b1] "+r"(rb1),      \
                  [b2] "+r"(rb2), [b3] "+r"(rb3), [w] "+r"(w_), [v] "+r"(v_), [x] "+r"(xb), [n] "+r"(n_)               \
                :                                                                                                      \
                : "q0", "q1", "q2", "q3", "q4", "q5", "memory", "cc");                                                 \
        a0 = ra0, a1 = ra1, a2 = ra2, a3 = ra3, b0 = rb0, b1 = rb1, b2 = rb2, b3 = rb3;                                \
    } while (0)

/* One row's sums of the four pixels (int4 weights), the last chunk's bytes loaded predicated. */
static void gemm_mve_int4_row(const int8_t *w, const int8_t *xp, int32_t depth, int32_t *a)
{
    for (int32_t d = 0; d < depth; d += 32, w += 16, xp += 128) {
        int8x16_t even, odd;
        pqk_nibbles_mve(vldrbq_z_s8(w, vctp8q((uint32_t)(depth - d) / 2)), &even, &odd);
        for (int p = 0; p < PQK_GEMM_PIXELS; p++)
            a[p] = vmladavaq_s8(vmladavaq_s8(a[p], even, vldrbq_s8(xp + 32 * p)), odd, vldrbq_s8(xp + 32 * p + 16));
    }
}

/* int4 weights: rows in pairs (PQK_MVE_ROWS2_INT4) over the whole chunks, then a last shorter chunk of both rows
 * (their bytes loaded predicated); an odd last row through gemm_mve_int4_row. */
static __attribute__((noinline)) void gemm_mve_short_int4(const pqk_op_data *op, const int8_t *weights,
                                                          const int8_t *col, const int32_t *base, int8_t *y,
                                                          int32_t stride)
{
    const int32_t depth = op->gemm_depth, whole = depth / 32, rows = op->gemm_rows, row_bytes = depth / 2;
    const int32_t *mults = op->mults, *shifts = op->shifts;
    const int32_t k = 2 * op->out_offset + 1;
    const int32x4_t vlo = vdupq_n_s32(op->act_min), vhi = vdupq_n_s32(op->act_max);
    const uint32x4_t voffs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)stride);
    const mve_pred16_t tail = vctp8q((uint32_t)(depth % 32) / 2);
    const int8_t *xt = col + whole * 128;
    int32_t r = 0;
    for (; r + 2 <= rows; r += 2) {
        const int8_t *w = weights + (size_t)r * row_bytes, *v = w + row_bytes;
        int32_t a0 = base[r], a1 = a0, a2 = a0, a3 = a0, b0 = base[r + 1], b1 = b0, b2 = b0, b3 = b0;
        if (whole > 0) {
            int32_t n = whole;
            PQK_MVE_ROWS2_INT4(n, w, v, col);
        }
        if (depth % 32) { /* w and v have moved on to the last chunk */
            int8x16_t we, wo, ve, vo;
            pqk_nibbles_mve(vldrbq_z_s8(w, tail), &we, &wo);
            pqk_nibbles_mve(vldrbq_z_s8(v, tail), &ve, &vo);
#define PQK_MVE_INT4_TAIL(a, b, p)                                                                                     \
    do {                                                                                                               \
        const int8x16_t xe = vldrbq_s8(xt + 32 * (p)), xo = vldrbq_s8(xt + 32 * (p) + 16);                             \
        a = vmladavaq_s8(vmladavaq_s8(a, we, xe), wo, xo), b = vmladavaq_s8(vmladavaq_s8(b, ve, xe), vo, xo);          \
    } while (0)
            PQK_MVE_INT4_TAIL(a0, b0, 0);
            PQK_MVE_INT4_TAIL(a1, b1, 1);
            PQK_MVE_INT4_TAIL(a2, b2, 2);
            PQK_MVE_INT4_TAIL(a3, b3, 3);
#undef PQK_MVE_INT4_TAIL
        }
        gemm_mve_out(a0, a1, a2, a3, mults[r], shifts[r], k, vlo, vhi, voffs, y + r);
        gemm_mve_out(b0, b1, b2, b3, mults[r + 1], shifts[r + 1], k, vlo, vhi, voffs, y + r + 1);
    }
    if (r < rows) { /* an odd last row */
        int32_t a[4] = {base[r], base[r], base[r], base[r]};
        gemm_mve_int4_row(weights + (size_t)r * row_bytes, col, depth, a);
        gemm_mve_out(a[0], a[1], a[2], a[3], mults[r], shifts[r], k, vlo, vhi, voffs, y + r);
    }
}

/* Pixel p's input d in the column (either layout). */
static inline int32_t gemm_mve_col_at(const int8_t *col, int32_t d, int p, int is_int4)
{
    return is_int4 ? col[(d / 32 * PQK_GEMM_PIXELS + p) * 32 + (d & 1) * 16 + d % 32 / 2]
                   : col[(d / 16 * PQK_GEMM_PIXELS + p) * 16 + d % 16];
}

void pqk_gemm_run_mve(const pqk_op_data *op_in, const int8_t *weights, const int8_t *col, const int32_t *base,
                      int8_t *y, int32_t stride)
{
    const pqk_op_data op = *op_in; /* a local copy: the int8 stores cannot alias it, so no reloads */
    if (op.rescale_short && op.gemm_int4) {
        gemm_mve_short_int4(&op, weights, col, base, y, stride);
        return;
    }
    if (op.rescale_short) {
        gemm_mve_short(&op, weights, col, base, y, stride);
        return;
    }
    /* rare: a multiplier of 1 and above, an accumulator that may pass 2^30, or x86-64 rounding: the general rescale
     * per value */
    for (int32_t r = 0; r < op.gemm_rows; r++) {
        uint32_t a[4] = {0, 0, 0, 0};
        for (int32_t d = 0; d < op.gemm_depth; d++) {
            const int32_t wv = pqk_weight(weights, op.gemm_int4, (uint32_t)(r * op.gemm_depth + d));
            for (int p = 0; p < PQK_GEMM_PIXELS; p++) a[p] += (uint32_t)(wv * gemm_mve_col_at(col, d, p, op.gemm_int4));
        }
        for (int p = 0; p < PQK_GEMM_PIXELS; p++)
            y[p * stride + r] = pqk_requant_gemm(&op, (int32_t)((uint32_t)base[r] + a[p]), 0, r);
    }
}
#endif
