/* MAX_POOL_2D int8: maximum over the valid window, then the activation clamp. */
#include "kernels.h"

static pqk_status max_pool_eval(pqk_ctx *ctx, pqk_node *node)
{
    return pqk_pool_eval(ctx, node, 1);
}

const pqk_kernel pqk_kernel_max_pool_s8 = {PQK_OP_MAX_POOL_2D, "MAX_POOL_2D", pqk_pool_prepare, max_pool_eval};
