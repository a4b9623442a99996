/* harness: runs a .tflite model on a batch of samples with TFLite 2.9's C API; built for arm64 and run under
 * qemu-aarch64 by src/runtimes/arm64.ts.
 *
 *   harness MODEL.tflite INPUT.bin OUTPUT.bin
 *
 * INPUT.bin holds the samples back to back, each the bytes of all model inputs in input order; OUTPUT.bin gets
 * each sample's first-output bytes back to back. Each Invoke runs between calls to pqk_marker_invoke_begin and
 * pqk_marker_invoke_end, whose addresses (fixed: the binary is not position independent) the instruction-counting
 * QEMU plugin watches. Built-in kernels only, one thread. Exits 1 with a message on stderr on any error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/lite/c/c_api.h"
#include "tensorflow/lite/c/common.h"

/* ---- markers ------------------------------------------------------------------------------------------ */

/* noipa keeps each a real, separate function that is really called; the distinct bodies keep them unmerged. */
__attribute__((noipa, used)) void pqk_marker_invoke_begin(void) { __asm__ volatile("nop"); }
__attribute__((noipa, used)) void pqk_marker_invoke_end(void) { __asm__ volatile("nop\n\tnop"); }

/* ---- errors and files --------------------------------------------------------------------------------- */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void report(void *user, const char *fmt, va_list args)
{
    (void)user;
    fputs("tflite: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open '%s'", path);
    if (fseek(f, 0, SEEK_END) != 0) die("cannot seek '%s'", path);
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) die("cannot size '%s'", path);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf) die("out of memory reading '%s' (%ld bytes)", path, n);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read '%s'", path);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* ---- run ---------------------------------------------------------------------------------------------- */

static TfLiteInterpreter *open_interpreter(const char *path, const unsigned char *model, size_t size)
{
    TfLiteModel *m = TfLiteModelCreate(model, size);
    if (!m) die("TFLite rejected the model '%s': not a valid TFLite flatbuffer", path);
    TfLiteInterpreterOptions *opts = TfLiteInterpreterOptionsCreate();
    TfLiteInterpreterOptionsSetNumThreads(opts, 1);
    TfLiteInterpreterOptionsSetErrorReporter(opts, report, NULL);
    TfLiteInterpreter *interp = TfLiteInterpreterCreate(m, opts);
    if (!interp) die("TFLite rejected the model '%s': TfLiteInterpreterCreate failed", path);
    if (TfLiteInterpreterAllocateTensors(interp) != kTfLiteOk) die("TFLite rejected the model '%s': AllocateTensors failed", path);
    return interp; /* model and options live as long as the process */
}

static void set_inputs(TfLiteInterpreter *interp, const unsigned char *x, size_t sample)
{
    int n_in = TfLiteInterpreterGetInputTensorCount(interp);
    for (int k = 0; k < n_in; k++) {
        TfLiteTensor *t = TfLiteInterpreterGetInputTensor(interp, k);
        size_t n = TfLiteTensorByteSize(t);
        if (TfLiteTensorCopyFromBuffer(t, x, n) != kTfLiteOk) die("cannot set input %d of sample %zu", k, sample);
        x += n;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) die("usage: harness MODEL.tflite INPUT.bin OUTPUT.bin");
    size_t model_size, input_size;
    unsigned char *model = read_file(argv[1], &model_size);
    unsigned char *input = read_file(argv[2], &input_size);
    TfLiteInterpreter *interp = open_interpreter(argv[1], model, model_size);

    int n_in = TfLiteInterpreterGetInputTensorCount(interp);
    size_t sample_bytes = 0;
    for (int k = 0; k < n_in; k++) sample_bytes += TfLiteTensorByteSize(TfLiteInterpreterGetInputTensor(interp, k));
    for (int k = 0; k < n_in; k++) {
        TfLiteType t = TfLiteTensorType(TfLiteInterpreterGetInputTensor(interp, k));
        if (t != kTfLiteInt8) die("input %d of '%s' is %s; the harness feeds int8 bytes", k, argv[1], TfLiteTypeGetName(t));
    }
    if (sample_bytes == 0 || input_size % sample_bytes != 0) {
        die("input '%s' has %zu bytes, not a multiple of the model's %zu input bytes per sample", argv[2], input_size, sample_bytes);
    }
    const TfLiteTensor *out = TfLiteInterpreterGetOutputTensor(interp, 0);
    size_t out_bytes = TfLiteTensorByteSize(out);
    size_t samples = input_size / sample_bytes;
    unsigned char *output = malloc(samples * out_bytes + 1);
    if (!output) die("out of memory for %zu outputs", samples);

    /* One unmeasured Invoke first: the first call pays one-time set-up that is not part of an inference. */
    if (samples > 0) {
        set_inputs(interp, input, 0);
        if (TfLiteInterpreterInvoke(interp) != kTfLiteOk) die("Invoke failed on sample 0");
    }
    for (size_t s = 0; s < samples; s++) {
        set_inputs(interp, input + s * sample_bytes, s);
        pqk_marker_invoke_begin();
        TfLiteStatus status = TfLiteInterpreterInvoke(interp);
        pqk_marker_invoke_end();
        if (status != kTfLiteOk) die("Invoke failed on sample %zu", s);
        if (TfLiteTensorCopyToBuffer(out, output + s * out_bytes, out_bytes) != kTfLiteOk) die("cannot read output of sample %zu", s);
    }

    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(output, 1, samples * out_bytes, f) != samples * out_bytes || fclose(f) != 0) die("cannot write '%s'", argv[3]);
    printf("tflite %s samples %zu output-type %s\n", TfLiteVersion(), samples, TfLiteTypeGetName(TfLiteTensorType(out)));
    return 0;
}
