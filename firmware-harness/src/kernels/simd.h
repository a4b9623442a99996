/* Build-time choice of the optimized kernel paths, and the DSP-extension instructions they use. */
#ifndef PQK_SIMD_H
#define PQK_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define PQK_MVE 1
#endif
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define PQK_DSP 1
#endif

#if defined(PQK_DSP)
static inline uint32_t pqk_load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* unaligned LDR, which Armv7E-M and Armv8-M allow */
    return v;
}

#define PQK_DSP_OP3(name, insn)                                                                                        \
    static inline int32_t name(uint32_t a, uint32_t b, int32_t acc)                                                    \
    {                                                                                                                  \
        int32_t r;                                                                                                     \
        __asm__(insn " %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));                                          \
        return r;                                                                                                      \
    }
PQK_DSP_OP3(pqk_smlad, "smlad")   /* acc + a.lo * b.lo + a.hi * b.hi */
PQK_DSP_OP3(pqk_smlabb, "smlabb") /* acc + a.lo * b.lo */
PQK_DSP_OP3(pqk_smlatt, "smlatt") /* acc + a.hi * b.hi */

static inline int32_t pqk_smmulr(int32_t a, int32_t b) /* (a * b + 2^31) >> 32 */
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t pqk_sxtb16(uint32_t x) /* bytes 0 and 2, sign-extended to halfwords */
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static inline uint32_t pqk_sxtb16_ror8(uint32_t x) /* bytes 1 and 3 */
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline uint32_t pqk_sadd16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("sadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t pqk_sxtab16(uint32_t acc, uint32_t x) /* acc's halfwords + bytes 0 and 2 of x */
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

static inline uint32_t pqk_sxtab16_ror8(uint32_t acc, uint32_t x) /* acc's halfwords + bytes 1 and 3 of x */
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

static inline uint32_t pqk_pkhbt(uint32_t a, uint32_t b) /* a's low halfword, b's high one */
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t pqk_pkhbt_lsl16(uint32_t a, uint32_t b) /* a's low halfword, b's low one above it */
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t pqk_pkhtb_asr16(uint32_t a, uint32_t b) /* b's high halfword, a's high one above it */
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
/* The same operations in plain C, so hosts run the optimized paths' data layouts too. */
static inline uint32_t pqk_load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline int32_t pqk_lo16(uint32_t a)
{
    return (int16_t)(a & 0xffffu);
}
static inline int32_t pqk_hi16(uint32_t a)
{
    return (int16_t)(a >> 16);
}
static inline uint32_t pqk_halves(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}

static inline int32_t pqk_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(pqk_lo16(a) * pqk_lo16(b)) + (uint32_t)(pqk_hi16(a) * pqk_hi16(b)));
}
static inline int32_t pqk_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(pqk_lo16(a) * pqk_lo16(b)));
}
static inline int32_t pqk_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(pqk_hi16(a) * pqk_hi16(b)));
}
static inline int32_t pqk_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + (1ll << 31)) >> 32);
}
static inline uint32_t pqk_sxtb16(uint32_t x)
{
    return pqk_halves((int8_t)(x & 0xffu), (int8_t)((x >> 16) & 0xffu));
}
static inline uint32_t pqk_sxtb16_ror8(uint32_t x)
{
    return pqk_sxtb16(x >> 8);
}
static inline uint32_t pqk_sadd16(uint32_t a, uint32_t b)
{
    return pqk_halves(pqk_lo16(a) + pqk_lo16(b), pqk_hi16(a) + pqk_hi16(b));
}
static inline uint32_t pqk_sxtab16(uint32_t acc, uint32_t x)
{
    return pqk_sadd16(acc, pqk_sxtb16(x));
}
static inline uint32_t pqk_sxtab16_ror8(uint32_t acc, uint32_t x)
{
    return pqk_sadd16(acc, pqk_sxtb16_ror8(x));
}
static inline uint32_t pqk_pkhbt(uint32_t a, uint32_t b)
{
    return (a & 0xffffu) | (b & 0xffff0000u);
}
static inline uint32_t pqk_pkhbt_lsl16(uint32_t a, uint32_t b)
{
    return (a & 0xffffu) | (b << 16);
}
static inline uint32_t pqk_pkhtb_asr16(uint32_t a, uint32_t b)
{
    return (a & 0xffff0000u) | (b >> 16);
}
#endif

/* v >> 1 saturated to int8: one SSAT with its shift where the core has it (Armv7-M and Armv8-M Mainline). */
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
static inline int8_t pqk_sat_s8_asr1(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(v));
    return (int8_t)r;
}
#else
static inline int8_t pqk_sat_s8_asr1(int32_t v)
{
    v >>= 1;
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}
#endif

#endif
