// Picks the tfjs backend pqk trains on: the fastest one that starts here, or the one --backend names.
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { registerWebgpuExactKernels } from './exact-rescale.js';
import { ensureGradients } from './gradients.js';
import { NATIVE_BACKEND, registerNativeBackend } from './native.js';

export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string; // the driver, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'
  software: boolean; // a fallback (CPU-emulated) adapter such as Mesa's lavapipe or SwiftShader
}

export interface BackendChoice {
  name: string; // tfjs backend name now active: 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'
  reason: string;
  tried: { name: string; ok: boolean; why: string }[];
  adapter?: GpuAdapter; // the WebGPU adapter, when webgpu was chosen
}

type Attempt = { ok: true; why: string; backend: string; adapter?: GpuAdapter } | { ok: false; why: string };

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

interface AdapterLike {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
}
interface GpuLike {
  requestAdapter(o?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

// navigator.gpu: the host's (a browser, Deno) or one made by the 'webgpu' package (Dawn), whose globals (GPUBufferUsage
// and friends) tfjs' WebGPU backend reads, so they are installed before that backend is imported.
async function navigatorGpu(): Promise<GpuLike | string> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (nav?.gpu) return nav.gpu;
  let mod: { create?: (o: string[]) => GpuLike; globals?: object };
  try {
    mod = (await importOptional('webgpu')) as typeof mod;
  } catch (e) {
    return `navigator.gpu is absent and the 'webgpu' package is not usable (${firstLine(e)})`;
  }
  if (mod.globals) Object.assign(globalThis, mod.globals);
  const gpu = mod.create?.([]);
  if (!gpu) return "the 'webgpu' package gave no GPU object";
  Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu }, configurable: true });
  return gpu;
}

export function describeAdapter(a: GpuAdapter): string {
  const kind = a.software ? 'software adapter' : 'GPU';
  return `${kind}: ${[a.vendor, a.architecture, a.device].filter((x) => x).join(' ')}, driver ${a.description || 'unnamed'}`;
}

// The adapter WebGPU would use, without starting a device (about 0.1 s); a string says why there is none. Probed once
// per process: automatic selection asks before starting the backend, and starting it asks again.
let adapterProbe: Promise<GpuAdapter | string> | undefined;
export function webgpuAdapter(): Promise<GpuAdapter | string> {
  return (adapterProbe ??= probeAdapter());
}

async function probeAdapter(): Promise<GpuAdapter | string> {
  try {
    const gpu = await navigatorGpu();
    if (typeof gpu === 'string') return gpu;
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!a)
      return 'no WebGPU adapter: no Vulkan driver answered (a GPU driver, or Mesa >= 24 lavapipe for the software one: bash scripts/install-vulkan.sh)';
    const i = a.info;
    const software = i.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(`${i.description} ${i.device}`);
    return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, software };
  } catch (e) {
    return `WebGPU failed (${firstLine(e)})`;
  }
}

async function tryWebgpu(): Promise<Attempt> {
  const adapter = await webgpuAdapter();
  if (typeof adapter === 'string') return { ok: false, why: adapter };
  try {
    const wg = (await importOptional('@tensorflow/tfjs-backend-webgpu')) as {
      webgpu_util: Parameters<typeof registerWebgpuExactKernels>[0];
    };
    registerWebgpuExactKernels(wg.webgpu_util);
  } catch (e) {
    return { ok: false, why: `@tensorflow/tfjs-backend-webgpu failed to load (${firstLine(e)})` };
  }
  if (!(await activate('webgpu'))) return { ok: false, why: `backend 'webgpu' did not start on the ${describeAdapter(adapter)}` };
  return { ok: true, why: `WebGPU on the ${describeAdapter(adapter)}`, backend: 'webgpu', adapter };
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

// tfjs's CPU backend, without its first-use advice to install tfjs-node (which backend to run is this file's job).
export async function useCpuBackend(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) return false;
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return true;
}

async function tryCpu(): Promise<Attempt> {
  if (!(await useCpuBackend())) return { ok: false, why: "backend 'cpu' did not start" };
  return { ok: true, why: 'plain JavaScript kernels (slowest, always available)', backend: 'cpu' };
}

// Every backend --backend accepts, in order of preference. Automatic selection takes only those the backend contract
// suite (test/backend/contract.test.ts) runs on every machine: webgpu when its adapter is a real GPU (a software one is
// slower than native: asked for only), native, then cpu. The tfjs-node bindings run when asked for (the suite covers
// them where they are installed, which CI is not); wasm lacks gradient kernels pqk trains with, so it is never chosen.
export interface Candidate {
  name: string;
  attempt: () => Promise<Attempt>;
  auto: boolean; // tried by automatic selection
  veto?: () => Promise<string | undefined>; // a reason automatic selection passes it over (checked before starting it)
}

// On Linux a GPU shows as a device node (a DRM render node, NVIDIA's, or WSL's). Without one there can only be a
// software adapter, so automatic selection does not load Dawn at all (it costs time and prints driver warnings).
export function linuxGpuNodes(): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const nodes: string[] = [];
  if (existsSync('/dev/dri'))
    nodes.push(
      ...readdirSync('/dev/dri')
        .filter((n) => n.startsWith('renderD'))
        .map((n) => `/dev/dri/${n}`),
    );
  for (const f of ['/dev/nvidia0', '/dev/dxg']) if (existsSync(f)) nodes.push(f);
  return nodes;
}

async function softwareAdapterVeto(): Promise<string | undefined> {
  if (linuxGpuNodes()?.length === 0)
    return 'no GPU device on this machine (no /dev/dri/renderD*, /dev/nvidia0 or /dev/dxg); a software adapter only with --backend webgpu';
  const a = await webgpuAdapter();
  if (typeof a === 'string') return a;
  return a.software ? `only a ${describeAdapter(a)} (slower than native; ask for it with --backend webgpu)` : undefined;
}

export const CANDIDATES: readonly Candidate[] = [
  { name: 'tfjs-node-gpu', attempt: () => tryNodeBinding('@tensorflow/tfjs-node-gpu', 'TensorFlow C library with CUDA'), auto: false },
  { name: 'tfjs-node', attempt: () => tryNodeBinding('@tensorflow/tfjs-node', 'TensorFlow C library on CPU'), auto: false },
  { name: 'webgpu', attempt: tryWebgpu, auto: true, veto: softwareAdapterVeto },
  { name: NATIVE_BACKEND, attempt: tryNative, auto: true },
  { name: 'cpu', attempt: tryCpu, auto: true },
  { name: 'wasm', attempt: tryWasm, auto: false },
];

// Aliases --backend accepts besides the candidate names.
const ALIASES: Record<string, string> = { tensorflow: 'tfjs-node', gpu: 'tfjs-node-gpu', cuda: 'tfjs-node-gpu' };

export const BACKEND_NAMES = CANDIDATES.map((c) => c.name);

// The backend as reports name it: its name, and for webgpu the adapter it runs on.
export function backendLabel(c: BackendChoice): string {
  return c.adapter ? `${c.name} (${describeAdapter(c.adapter)})` : c.name;
}

// candidates: the list to choose from (tests give their own to check the rule, not the machine).
export async function initBackend(requested?: string, candidates: readonly Candidate[] = CANDIDATES): Promise<BackendChoice> {
  await ensureGradients();
  const tried: BackendChoice['tried'] = [];
  if (requested !== undefined) {
    const name = ALIASES[requested] ?? requested;
    const entry = candidates.find((c) => c.name === name);
    if (!entry) throw new UserError(`--backend ${requested}: unknown backend; choose one of ${BACKEND_NAMES.join(', ')}`);
    const r = await entry.attempt();
    tried.push({ name, ok: r.ok, why: r.why });
    if (!r.ok) throw new UserError(`--backend ${requested}: cannot start: ${r.why}`);
    return { name: r.backend, reason: `requested with --backend: ${r.why}`, tried, adapter: r.adapter };
  }
  for (const c of candidates) {
    if (!c.auto) continue;
    const veto = await c.veto?.();
    if (veto !== undefined) {
      tried.push({ name: c.name, ok: false, why: veto });
      continue;
    }
    const r = await c.attempt();
    tried.push({ name: c.name, ok: r.ok, why: r.why });
    if (r.ok) {
      const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`);
      const because = skipped.length ? `; skipped ${skipped.join('; ')}` : '';
      return { name: r.backend, reason: `${c.name} is the best available (${r.why})${because}`, tried, adapter: r.adapter };
    }
  }
  throw new Error('no tfjs backend could start (not even cpu)');
}
