// Unary elementwise kernels, Tile and FusedBatchNorm on the C addon; int tensors stay on the cpu kernels.
import { util, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { UNARY, type NativeAddon } from '../addon.js';
import { alloc, int32, isF32, nativeKernel, output, values, type KernelArgs } from './util.js';

type Params = (attrs: NamedAttrMap) => [number, number];
const none: Params = () => [0, 0];

const UNARY_KERNELS: [string, number, Params][] = [
  ['Relu', UNARY.RELU, none],
  ['Relu6', UNARY.RELU6, none],
  ['Step', UNARY.STEP, (a) => [Number(a.alpha ?? 0), 0]],
  ['Square', UNARY.SQUARE, none],
  ['Sqrt', UNARY.SQRT, none],
  ['Rsqrt', UNARY.RSQRT, none],
  ['Neg', UNARY.NEG, none],
  ['Exp', UNARY.EXP, none],
  ['Log', UNARY.LOG, none],
  ['Abs', UNARY.ABS, none],
  ['Sigmoid', UNARY.SIGMOID, none],
  ['Tanh', UNARY.TANH, none],
  ['Round', UNARY.ROUND, none],
  ['Floor', UNARY.FLOOR, none],
  ['Ceil', UNARY.CEIL, none],
  ['ClipByValue', UNARY.CLIP, (a) => [Number(a.clipValueMin), Number(a.clipValueMax)]],
  ['Reciprocal', UNARY.RECIPROCAL, none],
];

function unaryKernel(name: string, op: number, params: Params, addon: NativeAddon): KernelConfig {
  return nativeKernel(name, ({ inputs: { x }, backend, attrs = {} }) => {
    if (!x || !isF32(x)) return undefined;
    const out = alloc(x.shape);
    const [p0, p1] = params(attrs);
    addon.unary(op, values(backend, x), p0, p1, out);
    return output(backend, x.shape, out);
  });
}

function tileKernel(addon: NativeAddon): KernelConfig {
  return nativeKernel('Tile', ({ inputs: { x }, backend, attrs = {} }) => {
    const reps = attrs.reps as number[];
    if (!x || !isF32(x) || x.shape.length === 0 || x.shape.length > 8) return undefined;
    const outShape = x.shape.map((n, d) => n * reps[d]!);
    const out = alloc(outShape);
    addon.tile(int32(x.shape), int32(reps), values(backend, x), out);
    return output(backend, outShape, out);
  });
}

// A batch-norm parameter as one value per channel: absent -> fill, scalar -> repeated, per-channel -> as is.
function perChannel(args: KernelArgs, t: TensorInfo | undefined, channels: number, fill: number): Float32Array | undefined {
  if (!t) return new Float32Array(channels).fill(fill);
  const n = util.sizeFromShape(t.shape);
  const v = values(args.backend, t);
  if (n === channels) return v;
  return n === 1 ? new Float32Array(channels).fill(v[0]!) : undefined;
}

function batchNormKernel(addon: NativeAddon): KernelConfig {
  return nativeKernel('FusedBatchNorm', (args) => {
    const { x, mean, variance, offset, scale } = args.inputs;
    if (!x || !mean || !variance || !isF32(x, mean, variance, offset, scale) || x.shape.length === 0) return undefined;
    const c = x.shape[x.shape.length - 1]!;
    const p = [
      perChannel(args, mean, c, 0),
      perChannel(args, variance, c, 1),
      perChannel(args, offset, c, 0),
      perChannel(args, scale, c, 1),
    ];
    if (c > 4096 || p.some((v) => v === undefined)) return undefined;
    const [m, v, o, s] = p as Float32Array[];
    const out = alloc(x.shape);
    addon.batchnorm(values(args.backend, x), m!, v!, o!, s!, Number(args.attrs?.varianceEpsilon ?? 0.001), out);
    return output(args.backend, x.shape, out);
  });
}

export function unaryKernels(addon: NativeAddon): KernelConfig[] {
  return [...UNARY_KERNELS.map(([n, op, p]) => unaryKernel(n, op, p, addon)), tileKernel(addon), batchNormKernel(addon)];
}
