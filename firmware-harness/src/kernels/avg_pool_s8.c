/* AVERAGE_POOL_2D int8: sum over the valid window, divided by its size rounding half away from zero. */
#include "kernels.h"

static pqk_status avg_pool_eval(pqk_ctx *ctx, pqk_node *node)
{
    return pqk_pool_eval(ctx, node, 0);
}

const pqk_kernel pqk_kernel_avg_pool_s8 = {PQK_OP_AVERAGE_POOL_2D, "AVERAGE_POOL_2D", pqk_pool_prepare, avg_pool_eval};
