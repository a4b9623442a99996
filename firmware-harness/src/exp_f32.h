/* expf with the exact results of x86-64 glibc's expf, on any IEEE target (double arithmetic, no libm). */
#ifndef PQK_EXP_F32_H
#define PQK_EXP_F32_H

#include <stdint.h>

float pqk_expf(float x);
/* The tests' sweep: the i-th of every stride-th float bit pattern from +104 down to 0, then from -0 to -110 (the
 * SOFTMAX tables' domain and the overflow edges). Returns 0 past the end. */
int pqk_expf_sweep_at(uint32_t i, uint32_t stride, float *x);

#endif
