/* Minimal read-only FlatBuffers accessors that read a buffer in place. Every offset and length is checked against
 * the buffer size; a failed check sets a sticky `bad` flag and the accessor returns its default, so a caller parses
 * a whole table and then checks `bad` once. */
#ifndef PQK_FLATBUF_H
#define PQK_FLATBUF_H

#include <stdint.h>

typedef struct {
    const uint8_t *buf; /* (size) the serialized model */
    uint32_t size;
    int bad; /* set by any out-of-bounds or malformed access */
} fb_buf;

/* A table or vector is named by its absolute offset in buf; 0 means absent (offset 0 holds the root offset). */
typedef uint32_t fb_off;

typedef struct {
    fb_off data;  /* absolute offset of element 0 */
    uint32_t len; /* element count */
} fb_vec;

fb_off fb_root(fb_buf *b);
uint8_t fb_u8(fb_buf *b, fb_off table, int field, uint8_t def);
int32_t fb_i32(fb_buf *b, fb_off table, int field, int32_t def);
uint32_t fb_u32(fb_buf *b, fb_off table, int field, uint32_t def);
float fb_f32(fb_buf *b, fb_off table, int field, float def);
fb_off fb_table(fb_buf *b, fb_off table, int field);
/* A vector of elem_size-byte scalars (or of 4-byte offsets, for elem_size 4 and fb_vec_table). */
fb_vec fb_vector(fb_buf *b, fb_off table, int field, uint32_t elem_size);
fb_off fb_vec_table(fb_buf *b, fb_vec v, uint32_t i);
int32_t fb_vec_i32(fb_buf *b, fb_vec v, uint32_t i);
float fb_vec_f32(fb_buf *b, fb_vec v, uint32_t i);
int64_t fb_vec_i64(fb_buf *b, fb_vec v, uint32_t i);

#endif
