// Bindings to the TFLite 2.9 C API (libtensorflowlite_c.so from tfjs-tflite-node) through koffi, loaded once.
// Pointers are koffi BigInts; every function here is synchronous.
import { join } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { tfliteCcDeps } from './paths.js';

export type Ptr = bigint;

export interface TfliteLib {
  path: string;
  version(): string;
  modelCreate(data: Ptr, size: number): Ptr | null;
  modelDelete(m: Ptr): void;
  optionsCreate(): Ptr;
  optionsDelete(o: Ptr): void;
  optionsSetNumThreads(o: Ptr, n: number): void;
  optionsSetErrorReporter(o: Ptr, cb: unknown, user: Ptr | null): void;
  interpreterCreate(m: Ptr, o: Ptr): Ptr | null;
  interpreterDelete(i: Ptr): void;
  allocateTensors(i: Ptr): number;
  invoke(i: Ptr): number;
  inputCount(i: Ptr): number;
  outputCount(i: Ptr): number;
  inputTensor(i: Ptr, k: number): Ptr;
  outputTensor(i: Ptr, k: number): Ptr;
  tensorType(t: Ptr): number;
  tensorByteSize(t: Ptr): number;
  tensorName(t: Ptr): string;
  copyFromBuffer(t: Ptr, src: Uint8Array, n: number): number;
  copyToBuffer(t: Ptr, dst: Uint8Array, n: number): number;
  // Native memory for the model bytes: TfLiteModelCreate keeps a pointer to them, so they must not move.
  alloc(n: number): { ptr: Ptr; view: Uint8Array };
  free(ptr: Ptr): void;
  // Messages from TFLite's error reporter since the last drain (set on every interpreter's options).
  reporter: unknown;
  drainMessages(): string[];
}

// TfLiteType values from tensorflow/lite/c/c_api_types.h.
export const TFLITE_TYPE = { float32: 1, int32: 2, uint8: 3, int8: 9 } as const;

let cached: TfliteLib | undefined;

export function tfliteLibPath(): string {
  return join(tfliteCcDeps('linux_amd64'), 'libtensorflowlite_c.so');
}

// The library for this machine, loaded once.
export function loadTflite(): TfliteLib {
  if (cached) return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the tflite runtime needs linux x64 (this is ${process.platform} ${process.arch})`);
  }
  cached = openTfliteLibrary(tfliteLibPath());
  return cached;
}

export function openTfliteLibrary(path: string): TfliteLib {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new Error(`cannot load the TFLite C library ${path}: ${(e as Error).message} (is tfjs-tflite-node installed? run npm ci)`);
  }
  return bind(lib, path);
}

let reporterProto: ReturnType<typeof koffi.proto> | undefined;

function bind(lib: LibraryHandle, path: string): TfliteLib {
  const f = (decl: string) => lib.func(decl);
  const libc = koffi.load('libc.so.6');
  // TFLite hands the reporter a printf format and a va_list; vsnprintf formats it (a va_list parameter is a pointer).
  const vsnprintf = libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t n, const char *fmt, void *ap)');
  reporterProto ??= koffi.proto('void PqkTfliteReporter(void *user, const char *fmt, void *ap)');
  const Reporter = reporterProto;
  const messages: string[] = [];
  const reporter = koffi.register((_user: unknown, fmt: string, ap: unknown) => {
    const buf = Buffer.alloc(4096);
    const n = vsnprintf(buf, buf.length, fmt, ap) as number;
    messages.push(buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))).toString('utf8'));
  }, koffi.pointer(Reporter));
  const malloc = libc.func('void *malloc(size_t n)');
  const free = libc.func('void free(void *p)');
  const byteSize = f('size_t TfLiteTensorByteSize(void *t)');
  return {
    path,
    version: f('const char *TfLiteVersion()'),
    modelCreate: f('void *TfLiteModelCreate(void *data, size_t size)'),
    modelDelete: f('void TfLiteModelDelete(void *m)'),
    optionsCreate: f('void *TfLiteInterpreterOptionsCreate()'),
    optionsDelete: f('void TfLiteInterpreterOptionsDelete(void *o)'),
    optionsSetNumThreads: f('void TfLiteInterpreterOptionsSetNumThreads(void *o, int n)'),
    optionsSetErrorReporter: lib.func('TfLiteInterpreterOptionsSetErrorReporter', 'void', ['void *', koffi.pointer(Reporter), 'void *']),
    interpreterCreate: f('void *TfLiteInterpreterCreate(void *m, void *o)'),
    interpreterDelete: f('void TfLiteInterpreterDelete(void *i)'),
    allocateTensors: f('int TfLiteInterpreterAllocateTensors(void *i)'),
    invoke: f('int TfLiteInterpreterInvoke(void *i)'),
    inputCount: f('int TfLiteInterpreterGetInputTensorCount(void *i)'),
    outputCount: f('int TfLiteInterpreterGetOutputTensorCount(void *i)'),
    inputTensor: f('void *TfLiteInterpreterGetInputTensor(void *i, int k)'),
    outputTensor: f('void *TfLiteInterpreterGetOutputTensor(void *i, int k)'),
    tensorType: f('int TfLiteTensorType(void *t)'),
    tensorByteSize: (t) => Number(byteSize(t)),
    tensorName: f('const char *TfLiteTensorName(void *t)'),
    copyFromBuffer: f('int TfLiteTensorCopyFromBuffer(void *t, const uint8_t *src, size_t n)'),
    copyToBuffer: f('int TfLiteTensorCopyToBuffer(void *t, _Out_ uint8_t *dst, size_t n)'),
    alloc(n) {
      const ptr = malloc(Math.max(1, n)) as Ptr | null;
      if (!ptr) throw new Error(`out of memory allocating ${n} bytes for a TFLite model`);
      return { ptr, view: new Uint8Array(koffi.view(ptr, n)) };
    },
    free: (p) => free(p),
    reporter,
    drainMessages: () => messages.splice(0, messages.length),
  };
}
