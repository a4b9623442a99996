// Broadcasting binary ops, reductions and transposes on the C addon: the JS backend walks broadcasts index by index.
import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { BINARY, REDUCE, type NativeAddon } from '../addon.js';
import { alloc, int32, isF32, nativeKernel, output, values, type KernelArgs } from './util.js';

const BINARY_KERNELS: [string, number][] = [
  ['Add', BINARY.ADD],
  ['Sub', BINARY.SUB],
  ['Multiply', BINARY.MUL],
  ['RealDiv', BINARY.DIV],
  ['Maximum', BINARY.MAX],
  ['Minimum', BINARY.MIN],
  ['SquaredDifference', BINARY.SQDIFF],
];

function padShape(shape: number[], rank: number): Int32Array {
  return int32([...new Array<number>(rank - shape.length).fill(1), ...shape]);
}

// out = a (op) b with numpy broadcasting, on float32 tensors of rank <= 8.
export function nativeBinary(addon: NativeAddon, args: KernelArgs, op: number, a: TensorInfo, b: TensorInfo): TensorInfo {
  const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const out = alloc(shape);
  const rank = Math.max(shape.length, 1);
  const vb = values(args.backend, b);
  addon.binary(op, padShape(shape, rank), values(args.backend, a), padShape(a.shape, rank), vb, padShape(b.shape, rank), out);
  return output(args.backend, shape, out);
}

function binaryKernel(name: string, op: number, addon: NativeAddon): KernelConfig {
  return nativeKernel(name, (args) => {
    const { a, b } = args.inputs;
    if (!a || !b || !isF32(a, b) || Math.max(a.shape.length, b.shape.length) > 8) return undefined;
    return nativeBinary(addon, args, op, a, b);
  });
}

function reduceKernel(name: string, op: number, axisAttr: string, addon: NativeAddon): KernelConfig {
  return nativeKernel(name, ({ inputs: { x }, backend, attrs = {} }) => {
    if (!x || !isF32(x) || x.shape.length > 8 || util.sizeFromShape(x.shape) === 0) return undefined;
    const axes = util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    const reduced = x.shape.map((_, d) => (axes.includes(d) ? 1 : 0));
    const keptShape = x.shape.filter((_, d) => !axes.includes(d));
    const outShape = attrs.keepDims ? x.shape.map((n, d) => (axes.includes(d) ? 1 : n)) : keptShape;
    const out = alloc(keptShape);
    const scalar = x.shape.length === 0;
    addon.reduce(op, int32(scalar ? [1] : x.shape), int32(scalar ? [0] : reduced), values(backend, x), out);
    return output(backend, outShape, out);
  });
}

function transposeKernel(addon: NativeAddon): KernelConfig {
  return nativeKernel('Transpose', ({ inputs: { x }, backend, attrs = {} }) => {
    const perm = attrs.perm as number[];
    if (!x || !isF32(x) || x.shape.length > 8 || x.shape.length === 0) return undefined;
    const outShape = perm.map((p) => x.shape[p]!);
    const out = alloc(outShape);
    addon.transpose(int32(x.shape), int32(perm), values(backend, x), out);
    return output(backend, outShape, out);
  });
}

export function elementwiseKernels(addon: NativeAddon): KernelConfig[] {
  return [
    ...BINARY_KERNELS.map(([name, op]) => binaryKernel(name, op, addon)),
    reduceKernel('Sum', REDUCE.SUM, 'axis', addon),
    reduceKernel('Mean', REDUCE.MEAN, 'axis', addon),
    reduceKernel('Max', REDUCE.MAX, 'reductionIndices', addon),
    reduceKernel('Min', REDUCE.MIN, 'axis', addon),
    transposeKernel(addon),
  ];
}
