/* Model reading and arena planning, the two steps of pqk_init before and after Prepare. */
#ifndef PQK_MODEL_READER_H
#define PQK_MODEL_READER_H

#include "micro.h"

pqk_status pqk_read_model(pqk_ctx *ctx);
/* Greedy first-fit (largest first) placement of every arena tensor and node scratch by lifetime. */
pqk_status pqk_plan_arena(pqk_ctx *ctx);
/* After planning: the arena bytes live while node n runs, the planned items (activation tensors and the node's
 * scratch) whose lifetime spans it, each at its aligned size. */
size_t pqk_node_live_bytes(const pqk_ctx *ctx, int n);

#endif
