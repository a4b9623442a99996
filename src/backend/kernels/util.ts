// Shared plumbing for native kernels: typed views of a MathBackendCPU's tensors and the cpu kernel to fall back on.
import {
  getKernel,
  util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { bufferPool } from '../buffer-pool.js';

export function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (v instanceof Float32Array) return v;
  // The cpu backend may keep a float32 tensor's values in another typed array (a cast from bool shares them).
  if (ArrayBuffer.isView(v)) return Float32Array.from(v as unknown as ArrayLike<number>);
  throw new Error(`native backend: expected numeric values for a ${t.dtype} tensor of shape [${t.shape}]`);
}

export function isF32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

export function output(backend: MathBackendCPU, shape: number[], data: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', data);
}

// Output memory for a native kernel, recycled and uninitialised (every native kernel writes all of its output).
export function alloc(shape: number[]): Float32Array {
  return bufferPool.take(util.sizeFromShape(shape));
}

// The cpu backend's kernel of the same name: what a native kernel runs for the cases it does not take.
export function cpuKernel(name: string): KernelFunc {
  const k = getKernel(name, 'cpu');
  if (!k) throw new Error(`native backend: the cpu backend has no kernel ${name}`);
  return k.kernelFunc;
}

export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: MathBackendCPU;
  attrs?: NamedAttrMap;
}

// Runs a kernel registered for the native backend by name (used to compose fused kernels).
export function run(name: string, args: KernelArgs): TensorInfo {
  const k = getKernel(name, 'native');
  if (!k) throw new Error(`native backend: no kernel ${name}`);
  return k.kernelFunc(args) as TensorInfo;
}

export function int32(xs: readonly number[]): Int32Array {
  return Int32Array.from(xs);
}

// A native kernel: body returns undefined for the cases it does not take, which then run the cpu kernel.
export function nativeKernel(name: string, body: (args: KernelArgs) => TensorInfo | TensorInfo[] | undefined): KernelConfig {
  const fallback = cpuKernel(name);
  return {
    kernelName: name,
    backendName: 'native',
    kernelFunc: (raw) => body(raw as unknown as KernelArgs) ?? fallback(raw),
  };
}
