// PadV2 and Slice on native as block copies: the cpu backend moves these one element at a time through index
// arithmetic (and Slice, the gradient of every Pad, through a TensorBuffer per element), which made them most of a
// training step of an imported model whose stride-2 convolutions are padded explicitly (PyTorch's MobileNetV2: 60%
// of a step). Any dtype; the same values as the cpu kernels.
import { slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { nativeKernel } from './util.js';

type Numeric = Float32Array | Int32Array | Uint8Array;

function numeric(backend: MathBackendCPU, t: TensorInfo): Numeric | undefined {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : undefined;
}

function make(v: Numeric, n: number): Numeric {
  return new (v.constructor as new (n: number) => Numeric)(n);
}

// Copies a box of `size` from `src` (shape `from`, the box starting at `srcStart`) into `dst` (shape `to`, at
// `dstStart`): the trailing dimensions the box spans whole are one contiguous block, the others are walked.
function copyBox(src: Numeric, from: number[], srcStart: number[], dst: Numeric, to: number[], dstStart: number[], size: number[]): void {
  const rank = size.length;
  let k = rank - 1; // the box is contiguous from dimension k on in both tensors
  while (k > 0 && size[k] === from[k] && size[k] === to[k]) k--;
  if (size.some((d) => d === 0)) return;
  const block = size.slice(k).reduce((a, d) => a * d, 1);
  const [fs, ts] = [util.computeStrides(from), util.computeStrides(to)];
  const stride = (s: number[], d: number): number => (d < rank - 1 ? s[d]! : 1);
  const at = new Array<number>(k).fill(0);
  let [si, di] = [0, 0];
  for (let d = 0; d < rank; d++) [si, di] = [si + srcStart[d]! * stride(fs, d), di + dstStart[d]! * stride(ts, d)];
  for (;;) {
    dst.set(src.subarray(si, si + block), di);
    let d = k - 1; // odometer over the walked dimensions
    for (; d >= 0; d--) {
      si += stride(fs, d);
      di += stride(ts, d);
      if (++at[d]! < size[d]!) break;
      si -= size[d]! * stride(fs, d);
      di -= size[d]! * stride(ts, d);
      at[d] = 0;
    }
    if (d < 0) return;
  }
}

export function shapeKernels(): KernelConfig[] {
  return [
    nativeKernel('PadV2', ({ inputs, backend, attrs = {} }) => {
      const x = inputs.x!;
      const v = numeric(backend, x);
      const paddings = attrs.paddings as [number, number][];
      if (!v || x.shape.length === 0) return undefined;
      const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
      const out = make(v, util.sizeFromShape(outShape));
      const c = Number(attrs.constantValue ?? 0);
      if (c !== 0) out.fill(c);
      copyBox(
        v,
        x.shape,
        new Array<number>(x.shape.length).fill(0),
        out,
        outShape,
        paddings.map((p) => p[0]),
        x.shape,
      );
      return backend.makeTensorInfo(outShape, x.dtype, out);
    }),
    nativeKernel('Slice', ({ inputs, backend, attrs = {} }) => {
      const x = inputs.x!;
      const v = numeric(backend, x);
      if (!v || x.shape.length === 0) return undefined;
      const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin as number[], attrs.size as number[]);
      slice_util.assertParamsValid(x as never, begin, size);
      const out = make(v, util.sizeFromShape(size));
      copyBox(v, x.shape, begin, out, size, new Array<number>(size.length).fill(0), size);
      return backend.makeTensorInfo(size, x.dtype, out);
    }),
  ];
}
