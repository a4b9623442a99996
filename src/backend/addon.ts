// Loads native/build/pqk_native.node, the C kernels behind the `native` backend; a failure is a reason, not a crash.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Kinds of conv(): conv2d forward, its input and filter gradients, then the same three for depthwise.
export const CONV = { FWD: 0, DX: 1, DW: 2, DEPTH_FWD: 3, DEPTH_DX: 4, DEPTH_DW: 5 } as const;
export const BINARY = { ADD: 0, SUB: 1, MUL: 2, DIV: 3, MAX: 4, MIN: 5, SQDIFF: 6, RELU_GRAD: 7 } as const;
export const REDUCE = { SUM: 0, MEAN: 1, MAX: 2, MIN: 3 } as const;
export const UNARY = {
  RELU: 0,
  RELU6: 1,
  STEP: 2,
  SQUARE: 3,
  SQRT: 4,
  RSQRT: 5,
  NEG: 6,
  EXP: 7,
  LOG: 8,
  ABS: 9,
  SIGMOID: 10,
  TANH: 11,
  ROUND: 12,
  FLOOR: 13,
  CEIL: 14,
  CLIP: 15,
  RECIPROCAL: 16,
} as const;
export const POOL = { AVG: 0, MAX: 1, AVG_GRAD: 2, MAX_GRAD: 3 } as const;
export const FIXED_POINT_ROUNDING = { 'ties-up': 0, away: 1, single: 2 } as const;

export interface NativeAddon {
  // geom: batch, inH, inW, inC, outH, outW, outC, fh, fw, strideH, strideW, dilH, dilW, padTop, padLeft, mult
  conv(kind: number, geom: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  // params: batch, m, n, k, transA, transB, aBatchStride, bBatchStride
  matmul(params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  binary(
    op: number,
    outShape: Int32Array,
    a: Float32Array,
    aShape: Int32Array,
    b: Float32Array,
    bShape: Int32Array,
    out: Float32Array,
  ): void;
  reduce(op: number, shape: Int32Array, reduced: Int32Array, x: Float32Array, out: Float32Array): void;
  transpose(shape: Int32Array, perm: Int32Array, x: Float32Array, out: Float32Array): void;
  unary(op: number, x: Float32Array, p0: number, p1: number, out: Float32Array): void;
  clipGrad(dy: Float32Array, x: Float32Array, lo: number, hi: number, out: Float32Array): void; // dy where lo <= x <= hi, else 0
  tile(shape: Int32Array, reps: Int32Array, x: Float32Array, out: Float32Array): void;
  // mean, variance, offset, scale: one value per channel (the last dim of x)
  batchnorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array,
    scale: Float32Array,
    eps: number,
    out: Float32Array,
  ): void;
  pool(kind: number, geom: Int32Array, x: Float32Array, dy: Float32Array, out: Float32Array): void;
  bnTrainForward(
    relu: number,
    eps: number,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    invstd: Float32Array,
  ): void;
  bnTrainBackward(
    relu: number,
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  // gradients of tf.batchNorm with per-channel mean, variance, scale
  bnGrad(
    eps: number,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array,
    dx: Float32Array,
    dmean: Float32Array,
    dvar: Float32Array,
    dscale: Float32Array,
    doffset: Float32Array,
  ): void;
  // rounding: FIXED_POINT_ROUNDING; m: one value per channel (acc's last dim) or a single value
  fixedPoint(rounding: number, acc: Float32Array, m: Float32Array, out: Float32Array): void;
  // params: TFLite ADD's input 1, input 2 and output multiplier and shift (src/int/add.ts addRescale)
  quantAdd(params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  threads(): number;
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; why: string };

let cached: AddonLoad | undefined;

// The addon sits in native/build/ at the repository root, two or three levels above this file (src/ or dist/src/).
export function addonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../native/build/pqk_native.node'), join(here, '../../../native/build/pqk_native.node')];
  return process.env.PQK_NATIVE_ADDON ?? candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

// One set of OpenBLAS kernels on every x86-64 CPU with AVX2 and FMA: its Haswell kernels (what it picks on AMD Zen
// too). Left to itself OpenBLAS picks per CPU (AVX-512 kernels on Intel Xeons), whose sums round differently, and the
// same run would train to different weights on different machines. With this, fixed-slot sums in the C kernels
// (native/src/parallel.c) and no fused multiply-add contraction (native/build.sh), a seed trains to the same bytes on
// any such CPU and core count. Undefined elsewhere (OpenBLAS's own choice); OPENBLAS_CORETYPE set by the user wins.
export function blasCoreType(arch: string, flags: ReadonlySet<string>): string | undefined {
  return arch === 'x64' && flags.has('avx2') && flags.has('fma') ? 'Haswell' : undefined;
}

// The CPU's feature flags (Linux /proc/cpuinfo, first processor); empty where unreadable.
export function cpuFlags(path = '/proc/cpuinfo'): Set<string> {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => /^flags\s*:/.test(l));
    return new Set(
      line
        ? line
            .replace(/^flags\s*:/, '')
            .trim()
            .split(/\s+/)
        : [],
    );
  } catch {
    return new Set();
  }
}

const ADDON_FUNCTIONS: (keyof NativeAddon)[] = ['conv', 'matmul', 'binary', 'reduce', 'fixedPoint', 'quantAdd', 'threads'];

export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    cached = { ok: false, why: `${path} is not built (run bash native/build.sh; needs libopenblas-dev and Node headers)` };
    return cached;
  }
  // OpenMP threads sleep between kernels instead of spinning against the JS thread.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  // OpenBLAS reads its kernel choice when the addon loads it (now); the user's own setting is left alone.
  if (process.env.OPENBLAS_CORETYPE === undefined) {
    const core = blasCoreType(process.arch, cpuFlags());
    if (core) process.env.OPENBLAS_CORETYPE = core;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const missing = ADDON_FUNCTIONS.filter((f) => typeof (addon as unknown as Record<string, unknown>)[f] !== 'function');
    cached = missing.length
      ? { ok: false, why: `${path} is older than native/src (it lacks ${missing.join(', ')}): run bash native/build.sh` }
      : { ok: true, addon, path };
  } catch (e) {
    cached = { ok: false, why: `cannot load ${path}: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached;
}
