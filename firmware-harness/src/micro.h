/* pqk micro interpreter: runs a TFLite flatbuffer in place with one caller-given arena and no malloc. */
#ifndef PQK_MICRO_H
#define PQK_MICRO_H

#include <stddef.h>
#include <stdint.h>

#include "flatbuf.h"

#ifndef PQK_MAX_TENSORS
#define PQK_MAX_TENSORS 256
#endif
#ifndef PQK_MAX_NODES
#define PQK_MAX_NODES 192
#endif
#define PQK_MAX_DIMS    5
#define PQK_MAX_IO      4
#define PQK_ERROR_LEN   200
#define PQK_ARENA_ALIGN 16

/* TFLite TensorType values. */
enum { PQK_FLOAT32 = 0, PQK_INT32 = 2, PQK_INT8 = 9, PQK_INT4 = 17 };

typedef enum {
    PQK_OK = 0,
    PQK_ERR_MODEL = 1,
    PQK_ERR_UNSUPPORTED = 2,
    PQK_ERR_ARENA = 3,
    PQK_ERR_INPUT = 4
} pqk_status;

typedef struct {
    int32_t dims[PQK_MAX_DIMS]; /* (ndims) */
    int ndims;
    int type; /* TFLite TensorType */
    uint32_t elems;
    uint32_t bytes;       /* storage bytes: elems for int8, (elems + 1) / 2 for int4, 4 * elems for int32/float32 */
    const uint8_t *data;  /* constant data inside the model buffer, or NULL for an arena tensor */
    int32_t arena_offset; /* -1 until planned */
    float scale;          /* first (or only) scale */
    int32_t zero_point;
    fb_vec scales; /* (nscales) float32, one per channel along quantized_dim, in the model buffer */
    int quantized_dim;
    int first_use, last_use; /* node indices bounding the lifetime; -1 when unused */
    fb_off name;             /* flatbuffer string, for error messages */
    const uint8_t *packed24; /* 2:4 weights in pqk's packed layout (metadata "pqk_2of4", see gemm_s8.c), or NULL */
    int packed_only;         /* the model has no dense copy: data is packed24, which only the 2:4 paths read */
} pqk_tensor;

/* Op data a kernel's Prepare leaves for its Eval: fixed-size scalars here, per-channel arrays in the arena. */
typedef struct {
    int32_t pad_h, pad_w, stride_h, stride_w, dil_h, dil_w, depth_mult, filter_h, filter_w;
    int32_t act_min, act_max;
    int32_t in_offset, out_offset, filter_offset;
    int32_t mult, shift;                                          /* per-tensor multiplier */
    int32_t mult2, shift2, mult3, shift3, in2_offset, left_shift; /* ADD's second input and output */
    int32_t *mults, *shifts;                                      /* (channels) per-channel multipliers, in the arena */
    float *table;         /* (256) SOFTMAX exp table, in the arena (x86-64 rounding only) */
    int8_t *lut;          /* (256) LOGISTIC / HARD_SWISH output of every int8 input (index q + 128), in the arena */
    int32_t diff_min;     /* SOFTMAX fixed point: input differences below it contribute nothing */
    int32_t gemm_ties_up; /* CONV_2D / FULLY_CONNECTED rescale: 1 rounds ties up as x86-64 TFLite's ruy, 0 away from
                             zero as TFLite Micro */
    float fscale, fbias;  /* MEAN's float rescale */
    int32_t variant;      /* kernel-specific path selector */
    int32_t axes_mask;    /* MEAN: reduced axes as bits */
    int32_t gemm_rows, gemm_depth, gemm_int4; /* CONV_2D: the GEMM path's shape (rows > 0 when it is taken) */
    int32_t gemm_2of4;                        /* CONV_2D: the GEMM reads the weights' packed 2:4 form */
    int32_t rescale_short; /* every channel's rescale may take the short form (pqk_rescale_short_ok) */
} pqk_op_data;

struct pqk_kernel;

typedef struct {
    int32_t builtin; /* TFLite BuiltinOperator */
    const struct pqk_kernel *kernel;
    int inputs[PQK_MAX_IO]; /* tensor indices, -1 for an omitted optional input */
    int ninputs;
    int outputs[PQK_MAX_IO];
    int noutputs;
    fb_off options;         /* builtin_options table, 0 when absent */
    uint32_t scratch_bytes; /* asked for by Prepare, lives in the arena for this node only */
    int32_t scratch_offset;
    pqk_op_data op;
} pqk_node;

typedef struct pqk_ctx {
    fb_buf fb;
    pqk_tensor tensors[PQK_MAX_TENSORS]; /* (ntensors) */
    int ntensors;
    pqk_node nodes[PQK_MAX_NODES]; /* (nnodes) in execution order */
    int nnodes;
    int inputs[PQK_MAX_IO], ninputs;
    int outputs[PQK_MAX_IO], noutputs;
    uint8_t *arena; /* (arena_size) */
    size_t arena_size;
    size_t persistent_bytes; /* taken from the top of the arena by Prepare */
    size_t tensor_bytes;     /* planned peak of tensors and scratch from the bottom */
    size_t arena_used_bytes; /* persistent_bytes + tensor_bytes */
    int optimized;           /* use DSP/MVE kernel paths where built */
    int x86_rounding;        /* reproduce x86-64 TFLite 2.9 instead of TFLite Micro (for cross-checks against the TFLite
                                library) */
    char error[PQK_ERROR_LEN];
} pqk_ctx;

/* The kernel paths a build carries: 0 (the default) both, chosen at pqk_init by PQK_INIT_OPTIMIZED; 1 the plain
 * ones only; 2 the optimized ones only. A firmware image is built with what it runs, and the other set is left out
 * of its code. */
#ifndef PQK_KERNELS
#define PQK_KERNELS 0
#endif
static inline int pqk_optimized(const pqk_ctx *ctx)
{
    return PQK_KERNELS == 0 ? ctx->optimized : PQK_KERNELS == 2;
}

typedef struct pqk_kernel {
    int32_t builtin;
    const char *name;
    pqk_status (*prepare)(pqk_ctx *ctx, pqk_node *node);
    pqk_status (*eval)(pqk_ctx *ctx, pqk_node *node);
} pqk_kernel;

/* ---- interpreter ---------------------------------------------------------------------------------------- */

/* pqk_init flags. The arithmetic is TensorFlow Lite Micro's reference kernels' (which CMSIS-NN's equal) unless
 * PQK_INIT_X86_ROUNDING asks for x86-64 TFLite 2.9's: CONV_2D and FULLY_CONNECTED ties rounded up, a float SOFTMAX. */
#define PQK_INIT_OPTIMIZED    1 /* ignored by a build with PQK_KERNELS 1 or 2 */
#define PQK_INIT_X86_ROUNDING 2

/* Parses the model, prepares every op and plans the arena. On failure ctx->error says what and where. */
pqk_status pqk_init(pqk_ctx *ctx, const uint8_t *model, uint32_t model_size, uint8_t *arena, size_t arena_size,
                    int flags);
/* Runs every op once on the input tensor's current contents. */
pqk_status pqk_invoke(pqk_ctx *ctx);
int8_t *pqk_input(pqk_ctx *ctx, int i, uint32_t *bytes);
const int8_t *pqk_output(pqk_ctx *ctx, int i, uint32_t *bytes);

/* Called at inference start (id -1), before each op (its node index) and at the end (id -2); an instruction
 * counter watching its address splits instructions per inference and per op. */
void pqk_marker(int32_t id);

/* ---- helpers for kernels -------------------------------------------------------------------------------- */

const pqk_kernel *pqk_find_kernel(int32_t builtin);
const char *pqk_builtin_name(int32_t builtin);
pqk_tensor *pqk_in(pqk_ctx *ctx, pqk_node *node, int i); /* NULL when absent */
pqk_tensor *pqk_out(pqk_ctx *ctx, pqk_node *node, int i);
void *pqk_tensor_data(pqk_ctx *ctx, const pqk_tensor *t);
void *pqk_alloc_persistent(pqk_ctx *ctx, size_t bytes);
/* Formats "<OP> node <n>: <msg>" into ctx->error and returns status. */
pqk_status pqk_fail(pqk_ctx *ctx, const pqk_node *node, pqk_status status, const char *msg);
pqk_status pqk_fail_int(pqk_ctx *ctx, const pqk_node *node, pqk_status status, const char *msg, int32_t value);
void pqk_str_append(char *dst, size_t cap, const char *s);
void pqk_int_append(char *dst, size_t cap, int64_t v);

#endif
