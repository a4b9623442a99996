// quantAddRaw: TFLite 2.9's int8 ADD rescaling done exactly (the integer reference's addRaw: each input shifted left
// by 20 bits and scaled, the int32 sum scaled again, all with MultiplyByQuantizedMultiplier's two roundings), as one
// tfjs op on the CPU backends ('cpu', 'native'). float32 cannot hold the 2^28-sized intermediates, which is why a
// composition of tfjs ops only approximates it. v1, v2: integer-valued float32 tensors of one shape (the inputs minus
// their zero points); s1, s2, so: the input and output scales (scalars). The result is the rescaled sum before the
// output zero point and the clamp. Gradient straight-through: dy * s1 / so and dy * s2 / so.
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { addRaw, addRescale, type AddRescale } from '../int/add.js';
import { multiplyByQuantizedMultiplier } from '../int/quantize.js';
import type { NativeAddon } from './addon.js';
import { alloc, output, values } from './kernels/util.js';

export const QUANT_ADD = 'PqkQuantAddRaw';
const BACKENDS = ['cpu', 'native'];
const V = 255; // |q - zero point| of int8

function numbers(backend: MathBackendCPU, t: TensorInfo): ArrayLike<number> {
  return backend.data.get(t.dataId).values as unknown as ArrayLike<number>;
}

// Each input's first rescaling depends on its 511 possible values only: tabulated once per call.
function table(r: AddRescale, which: 1 | 2): Int32Array {
  const [m, s] = which === 1 ? [r.input1Multiplier, r.input1Shift] : [r.input2Multiplier, r.input2Shift];
  const t = new Int32Array(2 * V + 1);
  for (let v = -V; v <= V; v++) t[v + V] = multiplyByQuantizedMultiplier(v << 20, m, s);
  return t;
}

export function quantAddValues(r: AddRescale, x1: ArrayLike<number>, x2: ArrayLike<number>): Float32Array {
  const [t1, t2] = [table(r, 1), table(r, 2)];
  const out = new Float32Array(x1.length);
  for (let i = 0; i < x1.length; i++) {
    const [a, b] = [x1[i]!, x2[i]!];
    out[i] =
      Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) <= V && Math.abs(b) <= V
        ? multiplyByQuantizedMultiplier((t1[a + V]! + t2[b + V]!) | 0, r.outputMultiplier, r.outputShift)
        : addRaw(r, a, b);
  }
  return out;
}

function rescaleOf(b: MathBackendCPU, inputs: Record<string, TensorInfo>): AddRescale {
  return addRescale(numbers(b, inputs.s1!)[0]!, numbers(b, inputs.s2!)[0]!, numbers(b, inputs.so!)[0]!, (why) => {
    throw new Error(`quantized ADD: ${why}`);
  });
}

// 'cpu': the integer reference's arithmetic in JS.
const cpuKernel: KernelConfig = {
  kernelName: QUANT_ADD,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const { v1, v2 } = inputs as Record<string, TensorInfo>;
    return b.makeTensorInfo(
      v1!.shape,
      'float32',
      quantAddValues(rescaleOf(b, inputs as Record<string, TensorInfo>), numbers(b, v1!), numbers(b, v2!)),
    );
  },
};
if (!getKernel(QUANT_ADD, 'cpu')) registerKernel(cpuKernel);

// 'native': the same arithmetic in C (native/src/quant_add.c), the multipliers from the same addRescale.
export function registerQuantAddKernel(addon: NativeAddon): void {
  if (getKernel(QUANT_ADD, 'native')) unregisterKernel(QUANT_ADD, 'native'); // a copy of the cpu kernel
  registerKernel({
    kernelName: QUANT_ADD,
    backendName: 'native',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as MathBackendCPU;
      const ins = inputs as Record<string, TensorInfo>;
      const r = rescaleOf(b, ins);
      const p = Int32Array.from([r.input1Multiplier, r.input1Shift, r.input2Multiplier, r.input2Shift, r.outputMultiplier, r.outputShift]);
      const out = alloc(ins.v1!.shape);
      addon.quantAdd(p, values(b, ins.v1!), values(b, ins.v2!), out);
      return output(b, ins.v1!.shape, out);
    },
  });
}

type AddOp = (v1: tf.Tensor, v2: tf.Tensor, s1: tf.Tensor, s2: tf.Tensor, so: tf.Tensor) => tf.Tensor;
const op = tf.customGrad((...args) => {
  const [v1, v2, s1, s2, so, save] = args as unknown as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, (ts: tf.Tensor[]) => void];
  save([s1, s2, so]);
  return {
    value: tf.engine().runKernel(QUANT_ADD, { v1, v2, s1, s2, so }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b, o] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return [tf.mul(g, tf.div(a, o)), tf.mul(g, tf.div(b, o)), tf.zerosLike(a), tf.zerosLike(b), tf.zerosLike(o)];
    },
  };
}) as unknown as AddOp;

// The exact rescaled sum, or undefined where the op has no kernel (another backend) or the shapes differ.
export function quantAddRaw(v1: tf.Tensor, v2: tf.Tensor, s1: tf.Tensor, s2: tf.Tensor, so: tf.Tensor): tf.Tensor | undefined {
  if (!BACKENDS.includes(tf.getBackend()) || v1.shape.join() !== v2.shape.join()) return undefined;
  return op(v1, v2, s1, s2, so);
}
