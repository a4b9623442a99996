/* Static memory planning: one arena, tensors placed greedily (largest first, lowest fitting offset) so that
 * tensors whose lifetimes overlap never share bytes. Scratch buffers live for their one node. */
/* Load-time code: it runs once, when the model is read and prepared, never per inference; built for size. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#include <string.h>

#include "model_reader.h"

typedef struct {
    uint32_t size;   /* aligned bytes */
    int first, last; /* node lifetime, inclusive */
    int32_t *offset; /* where the planned offset goes */
    int32_t placed;  /* offset, -1 until placed */
} plan_item;

static plan_item items[PQK_MAX_TENSORS + PQK_MAX_NODES];
static int order[PQK_MAX_TENSORS + PQK_MAX_NODES];

static uint32_t align_up(uint32_t v)
{
    return (v + PQK_ARENA_ALIGN - 1) & ~(uint32_t)(PQK_ARENA_ALIGN - 1);
}

static void mark_lifetimes(pqk_ctx *ctx)
{
    for (int n = 0; n < ctx->nnodes; n++) {
        const pqk_node *node = &ctx->nodes[n];
        for (int i = 0; i < node->ninputs + node->noutputs; i++) {
            int ti = i < node->ninputs ? node->inputs[i] : node->outputs[i - node->ninputs];
            if (ti < 0) continue;
            pqk_tensor *t = &ctx->tensors[ti];
            if (t->first_use < 0 || n < t->first_use) t->first_use = n;
            if (n > t->last_use) t->last_use = n;
        }
    }
    for (int i = 0; i < ctx->ninputs; i++) {
        pqk_tensor *t = &ctx->tensors[ctx->inputs[i]];
        t->first_use = 0;
        if (t->last_use < 0) t->last_use = 0;
    }
    for (int i = 0; i < ctx->noutputs; i++) {
        pqk_tensor *t = &ctx->tensors[ctx->outputs[i]];
        if (t->first_use < 0) t->first_use = 0;
        t->last_use = ctx->nnodes;
    }
}

static int collect(pqk_ctx *ctx)
{
    int n = 0;
    for (int i = 0; i < ctx->ntensors; i++) {
        pqk_tensor *t = &ctx->tensors[i];
        if (t->data || t->first_use < 0) continue;
        items[n] = (plan_item){align_up(t->bytes), t->first_use, t->last_use, &t->arena_offset, -1};
        n++;
    }
    for (int i = 0; i < ctx->nnodes; i++) {
        pqk_node *node = &ctx->nodes[i];
        if (node->scratch_bytes == 0) continue;
        items[n] = (plan_item){align_up(node->scratch_bytes), i, i, &node->scratch_offset, -1};
        n++;
    }
    return n;
}

/* Lowest offset where `it` fits between already placed items that are alive at the same time. */
static uint32_t first_fit(int placed_count, const plan_item *it)
{
    uint32_t candidate = 0;
    for (;;) {
        int moved = 0;
        for (int k = 0; k < placed_count; k++) {
            const plan_item *p = &items[order[k]];
            if (p->last < it->first || p->first > it->last) continue;
            uint32_t po = (uint32_t)p->placed;
            if (candidate < po + p->size && po < candidate + it->size) {
                candidate = po + p->size;
                moved = 1;
            }
        }
        if (!moved) return candidate;
    }
}

size_t pqk_node_live_bytes(const pqk_ctx *ctx, int n)
{
    size_t live = align_up(ctx->nodes[n].scratch_bytes);
    for (int i = 0; i < ctx->ntensors; i++) {
        const pqk_tensor *t = &ctx->tensors[i];
        if (!t->data && t->first_use >= 0 && t->first_use <= n && n <= t->last_use) live += align_up(t->bytes);
    }
    return live;
}

pqk_status pqk_plan_arena(pqk_ctx *ctx)
{
    mark_lifetimes(ctx);
    int n = collect(ctx);
    for (int i = 0; i < n; i++) order[i] = i;
    /* Insertion sort by size, descending; ties keep model order so the plan is deterministic. */
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i - 1;
        while (j >= 0 && items[order[j]].size < items[v].size) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
    uint64_t peak = 0;
    for (int i = 0; i < n; i++) {
        plan_item *it = &items[order[i]];
        uint32_t off = first_fit(i, it);
        it->placed = (int32_t)off;
        *it->offset = (int32_t)off;
        if ((uint64_t)off + it->size > peak) peak = (uint64_t)off + it->size;
    }
    ctx->tensor_bytes = (size_t)peak;
    ctx->arena_used_bytes = ctx->tensor_bytes + ctx->persistent_bytes;
    if (ctx->arena_used_bytes > ctx->arena_size) {
        ctx->error[0] = '\0';
        pqk_str_append(ctx->error, sizeof ctx->error, "arena too small: model needs ");
        pqk_int_append(ctx->error, sizeof ctx->error, (int64_t)ctx->arena_used_bytes);
        pqk_str_append(ctx->error, sizeof ctx->error, " bytes, arena has ");
        pqk_int_append(ctx->error, sizeof ctx->error, (int64_t)ctx->arena_size);
        return PQK_ERR_ARENA;
    }
    return PQK_OK;
}
