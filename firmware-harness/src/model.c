/* Reads a TFLite Model flatbuffer into the interpreter's tensor and node tables, checking every index and size. */
/* Load-time code: it runs once, when the model is read and prepared, never per inference; built for size. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#include "model_reader.h"

#include "pqk_features.h"

#include <string.h>

/* Field ids from tensorflow/lite/schema/schema.fbs. */
enum { MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4, MODEL_METADATA = 6 };
enum { METADATA_NAME = 0, METADATA_BUFFER = 1 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_BUILTIN = 3 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3, TENSOR_QUANT = 4 };
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DIM = 6 };
enum { OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_BUILTIN_OPTIONS = 4 };
enum { BUFFER_DATA = 0 };

#define PQK_MAX_ELEMS (1u << 26)

static pqk_status model_error(pqk_ctx *ctx, const char *what, int64_t index)
{
    ctx->error[0] = '\0';
    pqk_str_append(ctx->error, sizeof ctx->error, "malformed model: ");
    pqk_str_append(ctx->error, sizeof ctx->error, what);
    if (index >= 0) {
        pqk_str_append(ctx->error, sizeof ctx->error, " ");
        pqk_int_append(ctx->error, sizeof ctx->error, index);
    }
    return PQK_ERR_MODEL;
}

static uint32_t storage_bytes(int type, uint32_t elems)
{
    switch (type) {
    case PQK_INT8:
        return elems;
    case PQK_INT4:
        return (elems + 1) / 2;
    case PQK_INT32:
    case PQK_FLOAT32:
        return 4 * elems;
    default:
        return 0;
    }
}

static pqk_status read_quant(pqk_ctx *ctx, pqk_tensor *t, fb_off q, int index)
{
    fb_buf *b = &ctx->fb;
    t->scales = fb_vector(b, q, QUANT_SCALE, 4);
    fb_vec zps = fb_vector(b, q, QUANT_ZERO_POINT, 8);
    t->quantized_dim = fb_i32(b, q, QUANT_DIM, 0);
    if (b->bad) return model_error(ctx, "quantization of tensor", index);
    for (uint32_t i = 0; i < t->scales.len; i++) {
        const float sc = fb_vec_f32(b, t->scales, i);
        if (!(sc > 0.0f && sc < 3.0e38f)) return model_error(ctx, "scale must be positive and finite in tensor", index);
    }
    if (t->scales.len > 0) t->scale = fb_vec_f32(b, t->scales, 0);
    if (zps.len > 0) {
        int64_t zp = fb_vec_i64(b, zps, 0);
        if (zp < -128 || zp > 127) return model_error(ctx, "zero point out of int8 range in tensor", index);
        t->zero_point = (int32_t)zp;
    }
    if (t->scales.len > 1 &&
        (t->quantized_dim < 0 || t->quantized_dim >= t->ndims || t->scales.len != (uint32_t)t->dims[t->quantized_dim]))
        return model_error(ctx, "per-channel scale count does not match the quantized dimension of tensor", index);
    return PQK_OK;
}

static pqk_status read_tensor(pqk_ctx *ctx, fb_off tt, fb_vec buffers, int index)
{
    fb_buf *b = &ctx->fb;
    pqk_tensor *t = &ctx->tensors[index];
    memset(t, 0, sizeof *t);
    t->arena_offset = -1;
    t->first_use = t->last_use = -1;
    fb_vec shape = fb_vector(b, tt, TENSOR_SHAPE, 4);
    t->type = fb_u8(b, tt, TENSOR_TYPE, 0);
    uint32_t buffer = fb_u32(b, tt, TENSOR_BUFFER, 0);
    t->name = fb_table(b, tt, TENSOR_NAME);
    if (b->bad || shape.len > PQK_MAX_DIMS) return model_error(ctx, "shape of tensor", index);
    t->ndims = (int)shape.len;
    uint64_t elems = 1;
    for (int d = 0; d < t->ndims; d++) {
        t->dims[d] = fb_vec_i32(b, shape, (uint32_t)d);
        if (t->dims[d] <= 0) return model_error(ctx, "non-positive dimension in tensor", index);
        elems *= (uint64_t)t->dims[d];
        if (elems > PQK_MAX_ELEMS) return model_error(ctx, "too many elements in tensor", index);
    }
    t->elems = (uint32_t)elems;
    t->bytes = storage_bytes(t->type, t->elems);
    if (buffer >= buffers.len) return model_error(ctx, "buffer index out of range in tensor", index);
    fb_vec data = fb_vector(b, fb_vec_table(b, buffers, buffer), BUFFER_DATA, 1);
    if (b->bad) return model_error(ctx, "buffer of tensor", index);
    if (data.len > 0) {
        if (data.len != t->bytes || t->bytes == 0)
            return model_error(ctx, "constant data size does not match shape and type of tensor", index);
        if ((t->type == PQK_INT32 || t->type == PQK_FLOAT32) && (data.data & 3) != 0)
            return model_error(ctx, "misaligned 32-bit constant data in tensor", index);
        t->data = b->buf + data.data;
    }
    fb_off q = fb_table(b, tt, TENSOR_QUANT);
    return q ? read_quant(ctx, t, q, index) : PQK_OK;
}

static pqk_status read_index_list(pqk_ctx *ctx, fb_vec v, int *dst, int *n, int max, int allow_absent)
{
    if (v.len > (uint32_t)max) return model_error(ctx, "too many inputs or outputs:", v.len);
    for (uint32_t i = 0; i < v.len; i++) {
        int32_t ti = fb_vec_i32(&ctx->fb, v, i);
        if (ti < (allow_absent ? -1 : 0) || ti >= ctx->ntensors) return model_error(ctx, "tensor index", ti);
        dst[i] = ti;
    }
    *n = (int)v.len;
    return ctx->fb.bad ? model_error(ctx, "index list", -1) : PQK_OK;
}

static pqk_status read_node(pqk_ctx *ctx, fb_off ot, fb_vec opcodes, int index)
{
    fb_buf *b = &ctx->fb;
    pqk_node *n = &ctx->nodes[index];
    memset(n, 0, sizeof *n);
    n->scratch_offset = -1;
    uint32_t oc = fb_u32(b, ot, OP_OPCODE_INDEX, 0);
    if (b->bad || oc >= opcodes.len) return model_error(ctx, "opcode index of operator", index);
    fb_off code = fb_vec_table(b, opcodes, oc);
    int32_t deprecated = (int8_t)fb_u8(b, code, OPCODE_DEPRECATED_BUILTIN, 0);
    int32_t builtin = fb_i32(b, code, OPCODE_BUILTIN, 0);
    n->builtin = builtin > deprecated ? builtin : deprecated;
    n->options = fb_table(b, ot, OP_BUILTIN_OPTIONS);
    if (b->bad) return model_error(ctx, "operator", index);
    pqk_status s = read_index_list(ctx, fb_vector(b, ot, OP_INPUTS, 4), n->inputs, &n->ninputs, PQK_MAX_IO, 1);
    if (s == PQK_OK) s = read_index_list(ctx, fb_vector(b, ot, OP_OUTPUTS, 4), n->outputs, &n->noutputs, PQK_MAX_IO, 0);
    return s;
}

/* Whether tensor ti is neither a model input or output nor any op's output, and every op that reads it is a CONV_2D
 * (builtin 3) reading it as its weights. */
static int only_conv_weights(const pqk_ctx *ctx, int ti)
{
    for (int i = 0; i < ctx->ninputs; i++)
        if (ctx->inputs[i] == ti) return 0;
    for (int i = 0; i < ctx->noutputs; i++)
        if (ctx->outputs[i] == ti) return 0;
    for (int n = 0; n < ctx->nnodes; n++) {
        const pqk_node *node = &ctx->nodes[n];
        for (int i = 0; i < node->noutputs; i++)
            if (node->outputs[i] == ti) return 0;
        for (int i = 0; i < node->ninputs; i++)
            if (node->inputs[i] == ti && (node->builtin != 3 || i != 1)) return 0;
    }
    return 1;
}

/* The metadata entry "pqk_2of4", which TFLite ignores: the packed 2:4 form of CONV_2D weights (gemm_s8.c). Words:
 * version (1), entry count, then per entry the weight tensor's index, the byte offset of its packed rows in this
 * buffer (a multiple of 4) and their size (the layout is the tensor's type's: int8 or int4); each packed form must hold
 * exactly the tensor's own weights. A bundle's device form of the model leaves the dense copy out (packed_only): then
 * only CONV_2D may read the tensor. */
static pqk_status read_packed24(pqk_ctx *ctx, fb_vec data)
{
    fb_buf *b = &ctx->fb;
    const uint8_t *p = b->buf + data.data;
    const fb_vec words = {data.data, data.len / 4};
    if ((data.data & 3) != 0 || words.len < 2 || fb_vec_i32(b, words, 0) != 1 ||
        (uint32_t)fb_vec_i32(b, words, 1) > (words.len - 2) / 3)
        return model_error(ctx, "pqk_2of4 metadata header", -1);
    const uint32_t n = (uint32_t)fb_vec_i32(b, words, 1);
    for (uint32_t e = 0; e < n; e++) {
        const uint32_t ti = (uint32_t)fb_vec_i32(b, words, 2 + 3 * e), off = (uint32_t)fb_vec_i32(b, words, 3 + 3 * e),
                       bytes = (uint32_t)fb_vec_i32(b, words, 4 + 3 * e);
        if (ti >= (uint32_t)ctx->ntensors) return model_error(ctx, "pqk_2of4 metadata: tensor index", ti);
        pqk_tensor *t = &ctx->tensors[ti];
        const int32_t rows = t->ndims > 0 ? t->dims[0] : 0, depth = rows > 0 ? (int32_t)(t->elems / (uint32_t)rows) : 0;
        const int packed_only = t->data == NULL && only_conv_weights(ctx, (int)ti);
        const int is_int4 = t->type == PQK_INT4;
        if ((t->type == PQK_INT8 ? !PQK_2OF4_S8 : !is_int4 || !PQK_2OF4_S4) || (!t->data && !packed_only) ||
            depth % (is_int4 ? 32 : 16) != 0 || (off & 3) != 0 || off > data.len ||
            bytes != 3u * t->elems / (is_int4 ? 8u : 4u) || bytes > data.len - off ||
            !pqk_2of4_matches(p + off, (const int8_t *)t->data, rows, depth, is_int4))
            return model_error(ctx, "pqk_2of4 metadata does not hold the weights of tensor", ti);
        t->packed24 = p + off;
        if (packed_only) t->data = t->packed24, t->packed_only = 1;
    }
    return PQK_OK;
}

static pqk_status read_metadata(pqk_ctx *ctx, fb_off model, fb_vec buffers)
{
    if (!PQK_2OF4) return PQK_OK; /* a build without the packed path runs 2:4 weights dense */
    fb_buf *b = &ctx->fb;
    fb_vec entries = fb_vector(b, model, MODEL_METADATA, 4);
    for (uint32_t i = 0; i < entries.len && !b->bad; i++) {
        fb_off m = fb_vec_table(b, entries, i);
        fb_vec name = fb_vector(b, m, METADATA_NAME, 1);
        const uint32_t buffer = fb_u32(b, m, METADATA_BUFFER, 0);
        if (b->bad || name.len != 8) continue;
        const uint8_t *s = b->buf + name.data; /* "pqk_2of4", compared without memcmp (which the image would link) */
        uint32_t diff = 0;
        for (int k = 0; k < 8; k++) diff |= (uint32_t)(s[k] ^ (uint8_t) "pqk_2of4"[k]);
        if (diff != 0) continue;
        if (buffer >= buffers.len) return model_error(ctx, "buffer index out of range in metadata", i);
        fb_vec data = fb_vector(b, fb_vec_table(b, buffers, buffer), BUFFER_DATA, 1);
        if (b->bad) return model_error(ctx, "metadata buffer", i);
        return read_packed24(ctx, data);
    }
    return b->bad ? model_error(ctx, "metadata", -1) : PQK_OK;
}

pqk_status pqk_read_model(pqk_ctx *ctx)
{
    fb_buf *b = &ctx->fb;
    fb_off model = fb_root(b);
    fb_vec opcodes = fb_vector(b, model, MODEL_OPERATOR_CODES, 4);
    fb_vec subgraphs = fb_vector(b, model, MODEL_SUBGRAPHS, 4);
    fb_vec buffers = fb_vector(b, model, MODEL_BUFFERS, 4);
    if (b->bad || subgraphs.len != 1) return model_error(ctx, "expected exactly one subgraph, found", subgraphs.len);
    fb_off sg = fb_vec_table(b, subgraphs, 0);
    fb_vec tensors = fb_vector(b, sg, SUBGRAPH_TENSORS, 4);
    fb_vec ops = fb_vector(b, sg, SUBGRAPH_OPERATORS, 4);
    if (b->bad) return model_error(ctx, "subgraph", -1);
    if (tensors.len > PQK_MAX_TENSORS) return model_error(ctx, "too many tensors for PQK_MAX_TENSORS:", tensors.len);
    if (ops.len > PQK_MAX_NODES) return model_error(ctx, "too many operators for PQK_MAX_NODES:", ops.len);
    ctx->ntensors = (int)tensors.len;
    for (int i = 0; i < ctx->ntensors; i++) {
        pqk_status s = read_tensor(ctx, fb_vec_table(b, tensors, (uint32_t)i), buffers, i);
        if (s != PQK_OK) return s;
    }
    ctx->nnodes = (int)ops.len;
    for (int i = 0; i < ctx->nnodes; i++) {
        pqk_status s = read_node(ctx, fb_vec_table(b, ops, (uint32_t)i), opcodes, i);
        if (s != PQK_OK) return s;
    }
    pqk_status s =
        read_index_list(ctx, fb_vector(b, sg, SUBGRAPH_INPUTS, 4), ctx->inputs, &ctx->ninputs, PQK_MAX_IO, 0);
    if (s == PQK_OK)
        s = read_index_list(ctx, fb_vector(b, sg, SUBGRAPH_OUTPUTS, 4), ctx->outputs, &ctx->noutputs, PQK_MAX_IO, 0);
    if (s == PQK_OK && (ctx->ninputs < 1 || ctx->noutputs < 1))
        return model_error(ctx, "model has no input or no output", -1);
    return s == PQK_OK ? read_metadata(ctx, model, buffers) : s;
}
