// The `native` backend: a MathBackendCPU with every cpu kernel, the heavy ones replaced by the C addon's.
import { findBackendFactory, getKernelsForBackend, registerBackend, registerKernel } from '@tensorflow/tfjs-core';
import type { backend_util, DataId, DataType, KernelConfig } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon, type NativeAddon } from './addon.js';
import { bufferPool } from './buffer-pool.js';
import { registerBnTrainKernels } from './bn-train.js';
import './exact-rescale.js'; // its cpu kernels, which the copy below gives native too
import { registerClampKernels } from './clamp.js';
import { registerFixedPointKernel } from './fixed-point.js';
import { QUANT_ADD, registerQuantAddKernel } from './quant-add.js';
import { ensureGradients } from './gradients.js';
import { registerGradOverrides } from './grad-overrides.js';
import { convKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { matmulKernels } from './kernels/matmul.js';
import { poolKernels } from './kernels/pool.js';
import { shapeKernels } from './kernels/shape.js';
import { unaryKernels } from './kernels/unary.js';

export const NATIVE_BACKEND = 'native';

// The kernel configs the addon backs (every other kernel on native is the cpu backend's JS).
function nativeKernels(addon: NativeAddon): KernelConfig[] {
  return [
    ...convKernels(addon),
    ...elementwiseKernels(addon),
    ...matmulKernels(addon),
    ...unaryKernels(addon),
    ...poolKernels(addon),
    ...shapeKernels(),
  ];
}

// The kernels the addon implements (the others on 'native' are the cpu backend's), once the backend is registered.
export function nativeKernelNames(): string[] {
  const load = loadAddon();
  return load.ok ? [...nativeKernels(load.addon).map((k) => k.kernelName), QUANT_ADD] : []; // QUANT_ADD: cpu has a JS one
}

// A MathBackendCPU whose tensor memory goes through the buffer pool, without the first-use advice to install
// tfjs-node (this backend is the answer to that advice).
class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    const id = super.write(values, shape, dtype);
    bufferPool.hold(values);
    return id;
  }

  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    super.move(dataId, values, shape, dtype, refCount);
    bufferPool.hold(values);
  }

  override disposeData(dataId: DataId, force?: boolean): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)!.values : undefined;
    const done = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) bufferPool.release(values);
    return done;
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    const values = super.readSync(dataId);
    bufferPool.escape(values);
    return values;
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    const values = await super.read(dataId);
    bufferPool.escape(values);
    return values;
  }
}

let registered: { ok: true; threads: number } | { ok: false; why: string } | undefined;

// Registers backend 'native' once; returns why not when the addon is missing or fails to load.
export async function registerNativeBackend(): Promise<{ ok: true; threads: number } | { ok: false; why: string }> {
  if (registered) return registered;
  await ensureGradients();
  const load = loadAddon();
  if (!load.ok) return (registered = load);
  const addon = load.addon;
  const cpu = getKernelsForBackend('cpu');
  if (cpu.length === 0) return (registered = { ok: false, why: '@tensorflow/tfjs-backend-cpu registered no kernels' });
  if (!findBackendFactory(NATIVE_BACKEND)) registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 1);
  const own = nativeKernels(addon);
  const ownNames = new Set(own.map((k) => k.kernelName));
  for (const k of cpu) if (!ownNames.has(k.kernelName)) registerKernel({ ...k, backendName: NATIVE_BACKEND });
  for (const k of own) registerKernel(k);
  registerBnTrainKernels(addon);
  registerFixedPointKernel(addon);
  registerClampKernels(addon);
  registerQuantAddKernel(addon);
  registerGradOverrides(addon);
  return (registered = { ok: true, threads: addon.threads() });
}
