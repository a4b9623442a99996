/* PAD int8 with constant int32 paddings [rank, 2], rank 1..4: values copied unchanged, the border filled with the
 * output zero point (TFLite Micro's reference Pad with no constant_values input). Eval reads the paddings from the
 * model, so the op keeps nothing in the arena. */
#include <string.h>

#include "kernels.h"

/* The input's and output's dims and the leading padding, each widened on the left to rank 4. */
static void pad_dims(const pqk_tensor *in, const pqk_tensor *out, const int32_t *p, int32_t *in4, int32_t *out4,
                     int32_t *before4)
{
    const int lead = 4 - in->ndims;
    for (int d = 0; d < 4; d++) {
        const int k = d - lead;
        in4[d] = k < 0 ? 1 : in->dims[k];
        out4[d] = k < 0 ? 1 : out->dims[k];
        before4[d] = k < 0 ? 0 : p[2 * k];
    }
}

static pqk_status pad_prepare(pqk_ctx *ctx, pqk_node *node)
{
    pqk_tensor *in = pqk_in(ctx, node, 0), *paddings = pqk_in(ctx, node, 1), *out = pqk_out(ctx, node, 0);
    pqk_status s = pqk_int8_io(ctx, node);
    if (s == PQK_OK) s = pqk_expect(ctx, node, paddings, PQK_INT32, "paddings");
    if (s != PQK_OK) return s;
    if (!paddings->data) return pqk_fail(ctx, node, PQK_ERR_UNSUPPORTED, "paddings must be constant");
    if (in->ndims < 1 || in->ndims > 4)
        return pqk_fail_int(ctx, node, PQK_ERR_UNSUPPORTED, "input rank must be 1..4, got", in->ndims);
    if (paddings->ndims != 2 || paddings->dims[0] != in->ndims || paddings->dims[1] != 2)
        return pqk_fail(ctx, node, PQK_ERR_MODEL, "paddings must be [rank, 2]");
    if (out->ndims != in->ndims) return pqk_fail(ctx, node, PQK_ERR_MODEL, "output rank differs from the input's");
    const int32_t *p = (const int32_t *)(const void *)paddings->data;
    for (int d = 0; d < in->ndims; d++) {
        if (p[2 * d] < 0 || p[2 * d + 1] < 0)
            return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "negative padding in dimension", d);
        /* In 64 bits: the paddings come from the file and may be near INT32_MAX. */
        if ((int64_t)out->dims[d] != (int64_t)in->dims[d] + p[2 * d] + p[2 * d + 1])
            return pqk_fail_int(ctx, node, PQK_ERR_MODEL, "output size does not match the padding in dimension", d);
    }
    return PQK_OK;
}

static pqk_status pad_eval(pqk_ctx *ctx, pqk_node *node)
{
    const pqk_tensor *in = pqk_in(ctx, node, 0), *out = pqk_out(ctx, node, 0);
    int32_t i4[4], o4[4], b4[4];
    pad_dims(in, out, (const int32_t *)(const void *)pqk_in(ctx, node, 1)->data, i4, o4, b4);
    const int8_t *x = pqk_tensor_data(ctx, in);
    int8_t *y = pqk_tensor_data(ctx, out);
    memset(y, (int8_t)node->op.out_offset, out->elems);
    /* Without padding in the last dim, a row of the third is one run in both (an image's row of pixels): one copy. */
    const int whole_rows = i4[3] == o4[3];
    for (int32_t a = 0; a < i4[0]; a++)
        for (int32_t b = 0; b < i4[1]; b++)
            for (int32_t c = 0; c < i4[2]; c += whole_rows ? i4[2] : 1) {
                const int8_t *src = x + ((a * i4[1] + b) * i4[2] + c) * i4[3];
                int8_t *dst = y + (((a + b4[0]) * o4[1] + (b + b4[1])) * o4[2] + (c + b4[2])) * o4[3] + b4[3];
                memcpy(dst, src, (size_t)i4[3] * (size_t)(whole_rows ? i4[2] : 1));
            }
    return PQK_OK;
}

const pqk_kernel pqk_kernel_pad_s8 = {PQK_OP_PAD, "PAD", pad_prepare, pad_eval};
