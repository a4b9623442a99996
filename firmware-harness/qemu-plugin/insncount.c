/* insncount: a QEMU TCG plugin that counts retired guest instructions exactly and logs the count whenever an
 * instruction at a marker address is about to execute.
 *
 *   qemu-... -plugin libinsncount.so,addr=0x400123,addr=0x400456,out=/tmp/counts.txt ...
 *
 * Each time a marker executes, the line "0x<addr> <count>" is appended to the out file, where <count> is the
 * number of instructions retired since the start of the run, not counting the marker instruction itself.
 * Every translated instruction gets an inline 64-bit add (no helper call), so the count is exact and cheap;
 * a marker instruction instead gets a callback that logs and then adds its own 1, so the result does not depend
 * on the order in which QEMU runs callbacks and inline ops of one instruction.
 * A Thumb function address (bit 0 set, as nm prints it) marks the instruction at that address with bit 0 cleared;
 * the line still names the address as given.
 *
 * limit=N bounds the work instead of a wall clock: when more than N instructions retire without a marker executing
 * (a kernel that never returns, a firmware that never reaches the next op), the plugin says so on stderr and QEMU
 * exits with status 3. A loaded machine runs slower, never longer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_MARKERS 64

static uint64_t retired;              /* instructions retired so far (all vCPUs; pqk runs one) */
static uint64_t markers[MAX_MARKERS]; /* marker addresses, as given */
static uint64_t match[MAX_MARKERS];   /* the same with bit 0 cleared: instruction addresses are even */
static size_t n_markers;
static FILE *out;
static uint64_t limit;     /* 0: unbounded */
static uint64_t last_mark; /* `retired` when the last marker executed */

/* ---- execution ---------------------------------------------------------------------------------------- */

static void on_marker(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    const uint64_t *addr = userdata;
    if (out) fprintf(out, "0x%" PRIx64 " %" PRIu64 "\n", *addr, retired);
    retired += 1;
    last_mark = retired;
}

static void on_tb_exec(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (retired - last_mark > limit) {
        fprintf(stderr, "insncount: instruction limit: more than %" PRIu64 " instructions without reaching a marker\n",
                limit);
        if (out) fclose(out);
        out = NULL;
        exit(3);
    }
}

static const uint64_t *find_marker(uint64_t vaddr)
{
    for (size_t i = 0; i < n_markers; i++) {
        if (match[i] == vaddr) return &markers[i];
    }
    return NULL;
}

/* ---- translation -------------------------------------------------------------------------------------- */

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (limit) qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, NULL);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint64_t *marker = find_marker(qemu_plugin_insn_vaddr(insn));
        if (marker) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, (void *)marker);
        } else {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &retired, 1);
        }
    }
}

static void on_atexit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (out) fclose(out);
    out = NULL;
}

/* ---- set-up ------------------------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, const char **out_path)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "addr=", 5) == 0) {
            char *end = NULL;
            uint64_t a = strtoull(argv[i] + 5, &end, 0);
            if (end == argv[i] + 5 || *end != '\0' || n_markers == MAX_MARKERS) {
                fprintf(stderr, "insncount: bad or too many marker addresses: '%s'\n", argv[i]);
                return -1;
            }
            match[n_markers] = a & ~(uint64_t)1;
            markers[n_markers++] = a;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            *out_path = argv[i] + 4;
        } else if (strncmp(argv[i], "limit=", 6) == 0) {
            char *end = NULL;
            limit = strtoull(argv[i] + 6, &end, 0);
            if (end == argv[i] + 6 || *end != '\0' || limit == 0) {
                fprintf(stderr, "insncount: bad limit: '%s'\n", argv[i]);
                return -1;
            }
        } else {
            fprintf(stderr, "insncount: unknown argument '%s' (expected addr=0xHEX, out=PATH or limit=N)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    const char *out_path = NULL;
    if (parse_args(argc, argv, &out_path) != 0) return -1;
    if (!out_path) {
        fprintf(stderr, "insncount: missing out=PATH argument\n");
        return -1;
    }
    out = fopen(out_path, "a");
    if (!out) {
        fprintf(stderr, "insncount: cannot open out file '%s'\n", out_path);
        return -1;
    }
    setvbuf(out, NULL, _IOLBF, 0); /* each line reaches the file even if the guest is killed */
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
    return 0;
}
