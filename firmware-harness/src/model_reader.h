/* Model reading and arena planning, the two steps of pqk_init before and after Prepare. */
#ifndef PQK_MODEL_READER_H
#define PQK_MODEL_READER_H

#include "micro.h"

pqk_status pqk_read_model(pqk_ctx *ctx);
/* Whether every entry offset of `packed` (gemm_s8.c's 2:4 layout, depth a multiple of 16) names a pair and, unless
 * dense is NULL (weights only in packed form), the packed form holds exactly the int8 weights [rows, depth]. */
int pqk_2of4_matches(const uint8_t *packed, const int8_t *dense, int32_t rows, int32_t depth, int is_int4);
/* Greedy first-fit (largest first) placement of every arena tensor and node scratch by lifetime. */
pqk_status pqk_plan_arena(pqk_ctx *ctx);
/* After planning: the arena bytes live while node n runs, the planned items (activation tensors and the node's
 * scratch) whose lifetime spans it, each at its aligned size. */
size_t pqk_node_live_bytes(const pqk_ctx *ctx, int n);

#endif
