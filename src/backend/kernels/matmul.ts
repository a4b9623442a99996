// BatchMatMul and the fused conv / matmul kernels: native product, then bias and activation through native kernels.
import { type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { BINARY, type NativeAddon } from '../addon.js';
import { alloc, int32, isF32, nativeKernel, output, run, values, type KernelArgs } from './util.js';
import { nativeBinary } from './elementwise.js';

function batchMatMul(addon: NativeAddon, args: KernelArgs, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const ra = a.shape.length,
    rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!,
    k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = a.shape.slice(0, -2),
    batchB = b.shape.slice(0, -2);
  const na = batchA.reduce((p, v) => p * v, 1),
    nb = batchB.reduce((p, v) => p * v, 1);
  // equal batch dims, or one side a single matrix; other broadcasts stay on the cpu kernel
  const same = na === nb && batchA.length === batchB.length && batchA.every((v, i) => v === batchB[i]);
  if (!same && na !== 1 && nb !== 1) return undefined;
  const batchShape = na >= nb ? batchA : batchB;
  const batch = Math.max(na, nb);
  const out = alloc([batch, m, n]);
  const params = int32([batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, na === 1 ? 0 : m * k, nb === 1 ? 0 : k * n]);
  addon.matmul(params, values(args.backend, a), values(args.backend, b), out);
  return output(args.backend, [...batchShape, m, n], out);
}

// Applies a fused op's activation by running the native kernel of that name.
function activate(args: KernelArgs, y: TensorInfo, attrs: NamedAttrMap, prelu?: TensorInfo): TensorInfo {
  const act = (attrs.activation as string | undefined) ?? 'linear';
  const backend = args.backend;
  if (act === 'linear') return y;
  const table: Record<string, () => TensorInfo> = {
    relu: () => run('Relu', { inputs: { x: y }, backend }),
    relu6: () => run('Relu6', { inputs: { x: y }, backend }),
    elu: () => run('Elu', { inputs: { x: y }, backend }),
    sigmoid: () => run('Sigmoid', { inputs: { x: y }, backend }),
    leakyrelu: () => run('LeakyRelu', { inputs: { x: y }, backend, attrs: { alpha: attrs.leakyreluAlpha ?? 0.2 } }),
    prelu: () => run('Prelu', { inputs: { x: y, alpha: prelu! }, backend }),
  };
  const f = table[act];
  if (!f) throw new Error(`native backend: unknown fused activation '${act}'`);
  const z = f();
  backend.disposeIntermediateTensorInfo(y);
  return z;
}

function biasAndActivation(addon: NativeAddon, args: KernelArgs, y: TensorInfo): TensorInfo {
  const { bias, preluActivationWeights } = args.inputs;
  let z = y;
  if (bias) {
    z = nativeBinary(addon, args, BINARY.ADD, y, bias);
    args.backend.disposeIntermediateTensorInfo(y);
  }
  return activate(args, z, args.attrs ?? {}, preluActivationWeights);
}

export function matmulKernels(addon: NativeAddon): KernelConfig[] {
  const f32 = (args: KernelArgs) => isF32(...Object.values(args.inputs));
  return [
    nativeKernel('BatchMatMul', (args) => (f32(args) ? batchMatMul(addon, args, args.inputs.a!, args.inputs.b!) : undefined)),
    nativeKernel('_FusedMatMul', (args) => {
      const y = f32(args) ? batchMatMul(addon, args, args.inputs.a!, args.inputs.b!) : undefined;
      return y && biasAndActivation(addon, args, y);
    }),
    nativeKernel('FusedConv2D', (args) => {
      if (!f32(args) || args.attrs?.dataFormat === 'NCHW') return undefined;
      const y = run('Conv2D', { inputs: { x: args.inputs.x!, filter: args.inputs.filter! }, backend: args.backend, attrs: args.attrs });
      return biasAndActivation(addon, args, y);
    }),
    nativeKernel('FusedDepthwiseConv2D', (args) => {
      if (!f32(args)) return undefined;
      const inputs = { x: args.inputs.x!, filter: args.inputs.filter! };
      const y = run('DepthwiseConv2dNative', { inputs, backend: args.backend, attrs: args.attrs });
      return biasAndActivation(addon, args, y);
    }),
  ];
}
