// Integer requantization on any backend, bit for bit as the integer reference does it (src/int/requantize.ts and
// src/int/add.ts), with the multipliers and shifts computed on the host beforehand (TFLite's Prepare):
//   rescaleExact(acc, params)   acc * multiplier[c] / 2^(31 - shift[c]) with channel c's rounding (away, ties-up,
//                               single); params int32 [C, 3] = (multiplier, shift, mode) per channel of acc's last axis
//   addExact(v1, v2, params)    TFLite's int8 ADD before the output zero point: both inputs shifted left by 20 and
//                               rescaled, the int32 sum rescaled again (every rounding 'away'); params int32 [6]
// The evaluation of a QAT model runs them (compress/quant/qat.ts), so its logits equal the integer reference's on the
// backend it trains on: in JS on 'cpu' and 'native' (kernels of CPU backends read their own memory), in WGSL with
// 32-bit integer arithmetic and 64-bit products from 16-bit limbs on 'webgpu'. No float32 intermediate is involved:
// a float32 holds integers only up to 2^24, and the products need 62 bits.
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { channelRescaler, rescaleChannel, type ChannelMultipliers, type Rounding } from '../int/requantize.js';
import type { AddRescale } from '../int/add.js';
import { values } from './kernels/util.js';
import { quantAddValues } from './quant-add.js';

export const RESCALE_EXACT = 'PqkRescaleExact';
export const ADD_EXACT = 'PqkAddExact';
const MODES: Rounding[] = ['away', 'ties-up', 'single'];

export function rescaleParams(m: ChannelMultipliers, rounding: (channel: number) => Rounding): Int32Array {
  const n = m.multiplier.length;
  const p = new Int32Array(3 * n);
  for (let c = 0; c < n; c++) p.set([m.multiplier[c]!, m.shift[c]!, MODES.indexOf(rounding(c))], 3 * c);
  return p;
}

export function addParams(r: AddRescale): Int32Array {
  return Int32Array.of(r.input1Multiplier, r.input1Shift, r.input2Multiplier, r.input2Shift, r.outputMultiplier, r.outputShift);
}

function addRescaleOf(p: ArrayLike<number>): AddRescale {
  const [input1Multiplier, input1Shift, input2Multiplier, input2Shift, outputMultiplier, outputShift] = Array.from(p);
  return { input1Multiplier, input1Shift, input2Multiplier, input2Shift, outputMultiplier, outputShift } as AddRescale;
}

// acc: integer-valued float32 (..., C); params: int32 [C, 3] (one channel: broadcast over C).
export function rescaleExact(acc: tf.Tensor, params: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(RESCALE_EXACT, { acc, params }) as tf.Tensor;
}

// v1, v2: integer-valued float32 of one shape (inputs minus their zero points, |v| <= 255); params int32 [6].
export function addExact(v1: tf.Tensor, v2: tf.Tensor, params: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(ADD_EXACT, { v1, v2, params }) as tf.Tensor;
}

// ---- CPU backends: the integer reference's own functions (ADD: quant-add.ts's, which the QAT ADD runs on them).

// The parameters as the int32 values they are: read as float32 (kernels/util.ts values()), a 31-bit multiplier
// would lose its low 7 bits and round near-ties the other way.
function int32Values(b: MathBackendCPU, t: TensorInfo): Int32Array {
  const v = b.data.get(t.dataId).values;
  if (t.dtype !== 'int32' || !(v instanceof Int32Array))
    throw new Error(`exact rescale: parameters must be an int32 tensor (got ${t.dtype} of shape [${t.shape}])`);
  return v;
}

export function rescaleValues(acc: ArrayLike<number>, params: ArrayLike<number>): Float32Array {
  const channels = params.length / 3;
  const m: ChannelMultipliers = { multiplier: new Int32Array(channels), shift: new Int32Array(channels) };
  const modes: Rounding[] = [];
  for (let c = 0; c < channels; c++) {
    m.multiplier[c] = params[3 * c]!;
    m.shift[c] = params[3 * c + 1]!;
    modes.push(MODES[params[3 * c + 2]!]!);
  }
  const r = channelRescaler(m, (c) => modes[c]!);
  const out = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = rescaleChannel(r, channels === 1 ? 0 : i % channels, acc[i]!);
  return out;
}

// Registered on 'cpu' when this module loads; the native backend copies every cpu kernel it does not replace.
const CPU_KERNELS: KernelConfig[] = [
  {
    kernelName: RESCALE_EXACT,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as MathBackendCPU;
      const { acc, params } = inputs as Record<string, TensorInfo>;
      return b.makeTensorInfo(acc!.shape, 'float32', rescaleValues(values(b, acc!), int32Values(b, params!)));
    },
  },
  {
    kernelName: ADD_EXACT,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as MathBackendCPU;
      const { v1, v2, params } = inputs as Record<string, TensorInfo>;
      return b.makeTensorInfo(v1!.shape, 'float32', quantAddValues(addRescaleOf(int32Values(b, params!)), values(b, v1!), values(b, v2!)));
    },
  },
];
for (const k of CPU_KERNELS) if (!getKernel(k.kernelName, 'cpu')) registerKernel(k);

// ---- WebGPU: the same arithmetic in WGSL.

// floor((x * m + nudge) / 2^31) for 0 <= m < 2^31: the 64-bit product of |x| and m from 16-bit limbs, negated in two's
// complement when x < 0, the nudge added with its carry, bits 31..62 returned. rescale() is rescaleChannel().
const WGSL_RESCALE = `
fn mul64(a : u32, b : u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}
fn highMul(x : i32, m : i32, nudge : u32) -> i32 {
  var p = mul64(select(u32(x), 0u - u32(x), x < 0), u32(m));
  if (x < 0) {
    let lo = ~p.x + 1u;
    p = vec2<u32>(lo, ~p.y + select(0u, 1u, lo == 0u));
  }
  let lo = p.x + nudge;
  let hi = p.y + select(0u, 1u, lo < p.x);
  return bitcast<i32>((hi << 1u) | (lo >> 31u));
}
fn rescale(acc : i32, m : i32, shift : i32, mode : i32) -> i32 {
  let right = max(-shift, 0);
  let x = acc * (1 << u32(max(shift, 0)));
  let v = highMul(x, m, select(1073741824u, 0u, mode == 2 && right > 0));
  if (right == 0) { return v; }
  let e = u32(right);
  let mask = select((1u << e) - 1u, 0x7fffffffu, e == 31u);
  let rem = bitcast<u32>(v) & mask;
  if (mode == 0) { return (v >> e) + select(0, 1, rem > (mask >> 1u) + select(0u, 1u, v < 0)); }
  return (v >> e) + i32((rem + (1u << (e - 1u))) >> e);
}
`;

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], wg: [number, number, number]): [number, number, number];
}
interface WebgpuBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: string; data: number[] }[]): TensorInfo;
}

function program(util: WebgpuUtil, shape: number[], variableNames: string[], key: string, body: string, uniforms?: string): object {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(shape);
  return {
    variableNames,
    outputShape: shape,
    shaderKey: key,
    size: true,
    workgroupSize,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, workgroupSize),
    ...(uniforms ? { uniforms } : {}),
    getUserCode: () => `${WGSL_RESCALE}
      ${'fn main(index : i32)'} {
        if (index < uniforms.size) { ${body} }
      }`,
  };
}

// Called once the webgpu backend is registered (backend/select.ts); util is the package's webgpu_util.
export function registerWebgpuExactKernels(util: WebgpuUtil): void {
  if (getKernel(RESCALE_EXACT, 'webgpu')) return;
  registerKernel({
    kernelName: RESCALE_EXACT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { acc, params } = inputs as Record<string, TensorInfo>;
      const channels = sizeOf(params!.shape) / 3;
      const body = `let c = select(index % uniforms.channels, 0, uniforms.channels == 1) * 3;
          setOutputAtIndex(index, f32(rescale(i32(A[index]), P[c], P[c + 1], P[c + 2])));`;
      const prog = program(util, acc!.shape, ['A', 'P'], 'pqk_rescale_exact', body, 'channels : i32,');
      return (backend as unknown as WebgpuBackendLike).runWebGPUProgram(prog, [acc!, params!], 'float32', [
        { type: 'int32', data: [channels] },
      ]);
    },
  });
  registerKernel({
    kernelName: ADD_EXACT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { v1, v2, params } = inputs as Record<string, TensorInfo>;
      const body = `let a = rescale(i32(A[index]) * 1048576, P[0], P[1], 0);
          let b = rescale(i32(B[index]) * 1048576, P[2], P[3], 0);
          setOutputAtIndex(index, f32(rescale(a + b, P[4], P[5], 0)));`;
      const prog = program(util, v1!.shape, ['A', 'B', 'P'], 'pqk_add_exact', body);
      return (backend as unknown as WebgpuBackendLike).runWebGPUProgram(prog, [v1!, v2!, params!], 'float32');
    },
  });
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
