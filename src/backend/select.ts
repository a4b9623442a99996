// Picks the tfjs backend pqk trains on: the fastest one that starts here, or the one --backend names.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { ensureGradients } from './gradients.js';
import { NATIVE_BACKEND, registerNativeBackend } from './native.js';

export interface BackendChoice {
  name: string; // tfjs backend name now active: 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'
  reason: string;
  tried: { name: string; ok: boolean; why: string }[];
}

type Attempt = { ok: true; why: string; backend: string } | { ok: false; why: string };

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

// Optional packages are imported by a computed name so that tsc and bundlers do not require them.
async function importOptional(pkg: string): Promise<unknown> {
  return import(pkg);
}

async function activate(backend: string): Promise<boolean> {
  return (await tf.setBackend(backend)) && tf.getBackend() === backend;
}

async function tryNodeBinding(pkg: string, what: string): Promise<Attempt> {
  try {
    await importOptional(pkg);
  } catch (e) {
    return { ok: false, why: `${pkg} is not installed or failed to load (${firstLine(e)})` };
  }
  if (!(await activate('tensorflow'))) return { ok: false, why: `${pkg} loaded but backend 'tensorflow' did not start` };
  const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
  const device = gpu === false && pkg.endsWith('-gpu') ? ' (no CUDA device found: TensorFlow runs on the CPU)' : '';
  return { ok: true, why: `${pkg}: ${what}${device}`, backend: 'tensorflow' };
}

async function tryWebgpu(): Promise<Attempt> {
  const nav = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator;
  try {
    if (!nav?.gpu) {
      const mod = (await importOptional('webgpu')) as { create?: (o: string[]) => unknown; globals?: object };
      if (mod.globals) Object.assign(globalThis, mod.globals);
      const gpu = mod.create?.([]);
      if (!gpu) return { ok: false, why: "the 'webgpu' package gave no GPU object" };
      Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu }, configurable: true });
    }
    const adapter = await (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu?.requestAdapter();
    if (!adapter) return { ok: false, why: 'navigator.gpu gave no adapter' };
    await importOptional('@tensorflow/tfjs-backend-webgpu');
    if (!(await activate('webgpu'))) return { ok: false, why: "backend 'webgpu' did not start" };
    return { ok: true, why: 'WebGPU adapter found', backend: 'webgpu' };
  } catch (e) {
    return { ok: false, why: `no WebGPU: navigator.gpu is absent and the 'webgpu' package is not usable (${firstLine(e)})` };
  }
}

async function tryNative(): Promise<Attempt> {
  const r = await registerNativeBackend();
  if (!r.ok) return { ok: false, why: r.why };
  if (!(await activate(NATIVE_BACKEND))) return { ok: false, why: "backend 'native' did not start" };
  return {
    ok: true,
    why: `C kernels (OpenBLAS, ${r.threads} threads) for conv, depthwise, matmul, broadcasts, reductions`,
    backend: NATIVE_BACKEND,
  };
}

async function tryWasm(): Promise<Attempt> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await activate('wasm'))) return { ok: false, why: "backend 'wasm' did not start" };
    return {
      ok: true,
      why: 'XNNPACK forward kernels; lacks some gradient kernels (Conv2DBackpropFilter, depthwise backprops)',
      backend: 'wasm',
    };
  } catch (e) {
    return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed (${firstLine(e)})` };
  }
}

async function tryCpu(): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) return { ok: false, why: "backend 'cpu' did not start" };
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // its advice to install tfjs-node is this file's job
  return { ok: true, why: 'plain JavaScript kernels (slowest, always available)', backend: 'cpu' };
}

// In order of preference; the names are what --backend accepts. pqk trains, so a backend that lacks gradient
// kernels ranks below the slow one that has them all: wasm only when asked for.
const CANDIDATES: [string, () => Promise<Attempt>][] = [
  ['tfjs-node-gpu', () => tryNodeBinding('@tensorflow/tfjs-node-gpu', 'TensorFlow C library with CUDA')],
  ['tfjs-node', () => tryNodeBinding('@tensorflow/tfjs-node', 'TensorFlow C library on CPU')],
  ['webgpu', tryWebgpu],
  [NATIVE_BACKEND, tryNative],
  ['cpu', tryCpu],
  ['wasm', tryWasm],
];

// Aliases --backend accepts besides the candidate names.
const ALIASES: Record<string, string> = { tensorflow: 'tfjs-node', gpu: 'tfjs-node-gpu', cuda: 'tfjs-node-gpu' };

export const BACKEND_NAMES = CANDIDATES.map(([n]) => n);

export async function initBackend(requested?: string): Promise<BackendChoice> {
  await ensureGradients();
  const tried: BackendChoice['tried'] = [];
  if (requested !== undefined) {
    const name = ALIASES[requested] ?? requested;
    const entry = CANDIDATES.find(([n]) => n === name);
    if (!entry) throw new UserError(`--backend ${requested}: unknown backend; choose one of ${BACKEND_NAMES.join(', ')}`);
    const r = await entry[1]();
    tried.push({ name, ok: r.ok, why: r.why });
    if (!r.ok) throw new UserError(`--backend ${requested}: cannot start: ${r.why}`);
    return { name: r.backend, reason: `requested with --backend: ${r.why}`, tried };
  }
  for (const [name, attempt] of CANDIDATES) {
    const r = await attempt();
    tried.push({ name, ok: r.ok, why: r.why });
    if (r.ok) {
      const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`);
      const because = skipped.length ? `; skipped ${skipped.join('; ')}` : '';
      return { name: r.backend, reason: `${name} is the best available (${r.why})${because}`, tried };
    }
  }
  throw new Error('no tfjs backend could start (not even cpu)');
}
