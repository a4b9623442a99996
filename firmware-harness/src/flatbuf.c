/* Bounds-checked FlatBuffers reading: little-endian loads through memcpy, so unaligned data is safe too. */
/* Load-time code: it runs once, when the model is read and prepared, never per inference; built for size. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#include "flatbuf.h"

#include <string.h>

/* ---- raw loads ------------------------------------------------------------------------------------------ */

static int in_bounds(const fb_buf *b, uint64_t off, uint64_t len)
{
    return off + len <= (uint64_t)b->size;
}

static uint32_t load_u32(fb_buf *b, uint64_t off)
{
    if (!in_bounds(b, off, 4)) {
        b->bad = 1;
        return 0;
    }
    const uint8_t *p = b->buf + off;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t load_u16(fb_buf *b, uint64_t off)
{
    if (!in_bounds(b, off, 2)) {
        b->bad = 1;
        return 0;
    }
    return (uint16_t)(b->buf[off] | (b->buf[off + 1] << 8));
}

/* ---- tables --------------------------------------------------------------------------------------------- */

fb_off fb_root(fb_buf *b)
{
    if (b->size < 8) {
        b->bad = 1;
        return 0;
    }
    uint32_t root = load_u32(b, 0);
    if (root < 4 || !in_bounds(b, root, 4)) {
        b->bad = 1;
        return 0;
    }
    return root;
}

/* Absolute offset of a field's value with `width` bytes, or 0 when absent or malformed. */
static fb_off field_pos(fb_buf *b, fb_off table, int field, uint32_t width)
{
    if (table == 0 || b->bad) return 0;
    int32_t soff = (int32_t)load_u32(b, table);
    int64_t vt = (int64_t)table - soff;
    if (b->bad || vt < 0 || !in_bounds(b, (uint64_t)vt, 4)) {
        b->bad = 1;
        return 0;
    }
    uint16_t vt_size = load_u16(b, (uint64_t)vt);
    uint16_t obj_size = load_u16(b, (uint64_t)vt + 2);
    if (vt_size < 4 || (vt_size & 1) || !in_bounds(b, (uint64_t)vt, vt_size) || !in_bounds(b, table, obj_size)) {
        b->bad = 1;
        return 0;
    }
    uint32_t entry = 4u + 2u * (uint32_t)field;
    if (entry + 2 > vt_size) return 0;
    uint16_t fo = load_u16(b, (uint64_t)vt + entry);
    if (fo == 0) return 0;
    if ((uint32_t)fo + width > obj_size) {
        b->bad = 1;
        return 0;
    }
    return table + fo;
}

uint8_t fb_u8(fb_buf *b, fb_off table, int field, uint8_t def)
{
    fb_off p = field_pos(b, table, field, 1);
    return p ? b->buf[p] : def;
}

uint32_t fb_u32(fb_buf *b, fb_off table, int field, uint32_t def)
{
    fb_off p = field_pos(b, table, field, 4);
    return p ? load_u32(b, p) : def;
}

int32_t fb_i32(fb_buf *b, fb_off table, int field, int32_t def)
{
    return (int32_t)fb_u32(b, table, field, (uint32_t)def);
}

float fb_f32(fb_buf *b, fb_off table, int field, float def)
{
    fb_off p = field_pos(b, table, field, 4);
    if (!p) return def;
    uint32_t u = load_u32(b, p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Follows a uoffset stored at `pos` and checks that at least `min_len` bytes follow the target. */
static fb_off follow(fb_buf *b, fb_off pos, uint32_t min_len)
{
    uint64_t target = (uint64_t)pos + load_u32(b, pos);
    if (b->bad || !in_bounds(b, target, min_len)) {
        b->bad = 1;
        return 0;
    }
    return (fb_off)target;
}

fb_off fb_table(fb_buf *b, fb_off table, int field)
{
    fb_off p = field_pos(b, table, field, 4);
    return p ? follow(b, p, 4) : 0;
}

/* ---- vectors -------------------------------------------------------------------------------------------- */

fb_vec fb_vector(fb_buf *b, fb_off table, int field, uint32_t elem_size)
{
    fb_vec v = {0, 0};
    fb_off p = field_pos(b, table, field, 4);
    if (!p) return v;
    fb_off vec = follow(b, p, 4);
    if (!vec) return v;
    uint32_t len = load_u32(b, vec);
    if (!in_bounds(b, (uint64_t)vec + 4, (uint64_t)len * elem_size)) {
        b->bad = 1;
        return v;
    }
    v.data = vec + 4;
    v.len = len;
    return v;
}

fb_off fb_vec_table(fb_buf *b, fb_vec v, uint32_t i)
{
    if (i >= v.len) {
        b->bad = 1;
        return 0;
    }
    return follow(b, v.data + 4 * i, 4);
}

int32_t fb_vec_i32(fb_buf *b, fb_vec v, uint32_t i)
{
    if (i >= v.len) {
        b->bad = 1;
        return 0;
    }
    return (int32_t)load_u32(b, (uint64_t)v.data + 4u * i);
}

float fb_vec_f32(fb_buf *b, fb_vec v, uint32_t i)
{
    uint32_t u = (uint32_t)fb_vec_i32(b, v, i);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

int64_t fb_vec_i64(fb_buf *b, fb_vec v, uint32_t i)
{
    if (i >= v.len) {
        b->bad = 1;
        return 0;
    }
    uint64_t lo = load_u32(b, (uint64_t)v.data + 8u * i);
    uint64_t hi = load_u32(b, (uint64_t)v.data + 8u * i + 4);
    return (int64_t)(lo | (hi << 32));
}
