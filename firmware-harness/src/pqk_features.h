/* Optional parts of pqk micro that a build may leave out. A bundle (PQK_KERNELS_USED) says in pqk_kernels_used.h
 * which of them its model needs; other builds carry them all. */
#ifndef PQK_FEATURES_H
#define PQK_FEATURES_H

#ifdef PQK_KERNELS_USED
#include "pqk_kernels_used.h"
#endif
#ifndef PQK_2OF4
/* 2:4 weights read from their packed form (metadata "pqk_2of4", kernels/gemm_s8.c): bit 0 int8, bit 1 int4 */
#define PQK_2OF4 3
#endif
#define PQK_2OF4_S8 (PQK_2OF4 & 1)
#define PQK_2OF4_S4 (PQK_2OF4 & 2)

#endif
