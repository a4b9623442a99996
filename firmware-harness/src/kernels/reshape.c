/* RESHAPE, SQUEEZE and EXPAND_DIMS: the output tensor's shape is already in the model, so Eval is a copy of the
 * bytes (EXPAND_DIMS's axis input and SQUEEZE's options only say what that shape is). */
#include <string.h>

#include "kernels.h"

static pqk_status reshape_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    if (!in || !out) return pqk_fail(ctx, node, PQK_ERR_MODEL, "missing input or output");
    if (in->type != out->type) return pqk_fail(ctx, node, PQK_ERR_MODEL, "input and output types differ");
    return pqk_same_shape(ctx, node, in, out);
}

static pqk_status reshape_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    memmove(pqk_tensor_data(ctx, out), pqk_tensor_data(ctx, in), out->bytes);
    return PQK_OK;
}

const pqk_kernel pqk_kernel_reshape = {PQK_OP_RESHAPE, "RESHAPE", reshape_prepare, reshape_eval};
const pqk_kernel pqk_kernel_squeeze = {PQK_OP_SQUEEZE, "SQUEEZE", reshape_prepare, reshape_eval};
const pqk_kernel pqk_kernel_expand_dims = {PQK_OP_EXPAND_DIMS, "EXPAND_DIMS", reshape_prepare, reshape_eval};
