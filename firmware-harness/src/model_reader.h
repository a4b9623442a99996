/* Model reading and arena planning, the two steps of pqk_init before and after Prepare. */
#ifndef PQK_MODEL_READER_H
#define PQK_MODEL_READER_H

#include "micro.h"

pqk_status pqk_read_model(pqk_ctx *ctx);
/* Greedy first-fit (largest first) placement of every arena tensor and node scratch by lifetime. */
pqk_status pqk_plan_arena(pqk_ctx *ctx);

#endif
