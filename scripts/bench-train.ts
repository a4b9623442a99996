// npm run bench:train — DS-CNN training ms/step (batch 100, 49x10x1, 12 classes, BN, Adam) on the chosen tfjs
// backend, beside plain wasm and cpu (forward only: wasm lacks gradient kernels, a cpu step takes minutes), and PyTorch CPU.
// Flags: --backend B, --steps N (default 20), --batch N, --no-baselines, --cpu-step (one cpu training step: minutes),
// --profile (per-kernel times of one step on the chosen backend), --no-torch, --json. PyTorch runs before the tfjs
// timings (its default OpenMP spinning) and after them (OMP_WAIT_POLICY=PASSIVE, which holds up far better on a busy
// machine); the faster median is the yardstick.
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { profileDsCnnStep, timeDsCnnForward, timeDsCnnTraining, type StepTiming } from '../src/backend/bench.js';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '100' },
    'no-baselines': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    'cpu-step': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(flags.steps);
const batch = Number(flags.batch);
const log = (s: string) => process.stderr.write(s + '\n');

interface TorchTiming { msPerStep: number; minMs: number; cpuMsPerStep: number; torch: string; threads: number }

// PyTorch is a yardstick only: Debian's python3-torch, 2 threads, the same architecture and batch.
async function torchTiming(env: Record<string, string> = {}): Promise<TorchTiming | string> {
  try {
    const args = ['bench/torch_dscnn.py', '--batch', String(batch), '--steps', String(steps), '--threads', '2'];
    const r = await execa('/usr/bin/python3', args, { env });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming;
  } catch (e) {
    return `PyTorch yardstick unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function onBackend(name: string, f: () => StepTiming): Promise<StepTiming | string> {
  try {
    await initBackend(name);
    return f();
  } catch (e) {
    return `${name}: ${(e as Error).message.split('\n')[0]}`;
  }
}

const torchBefore = flags['no-torch'] ? 'skipped (--no-torch)' : await torchTiming();
const choice = await initBackend(flags.backend);
log(`backend: ${choice.name} — ${choice.reason}`);
const rows: (StepTiming | string)[] = [timeDsCnnTraining({ batch, steps, warmup: 3 })];
const chosen = rows[0] as StepTiming;
log(`  ${chosen.backend} train: ${chosen.msPerStep.toFixed(1)} ms/step (median of ${steps})`);
// batchNormTraining runs as one kernel only on native; elsewhere it is the same ops as 'moments'
if (chosen.backend === 'native') rows.push(timeDsCnnTraining({ batch, steps, warmup: 3, bn: 'fused' }));
if (flags.profile) {
  for (const bn of ['moments', 'fused'] as const) {
    const p = await profileDsCnnStep(batch, bn);
    const top = p.kernels.slice(0, 12).map((k) => `${k.kernel} ${k.ms.toFixed(1)} ms x${k.calls}`);
    log(`profile (${bn}): step ${p.stepMs.toFixed(1)} ms, kernels ${p.kernels.reduce((a, k) => a + k.ms, 0).toFixed(1)} ms: ${top.join(', ')}`);
  }
}
const torchAfter = flags['no-torch'] ? 'skipped (--no-torch)' : await torchTiming({ OMP_WAIT_POLICY: 'PASSIVE' });
const torch = [torchBefore, torchAfter].reduce((a, b) => (typeof b === 'string' || (typeof a !== 'string' && a.msPerStep <= b.msPerStep) ? a : b));
if (!flags['no-baselines']) {
  if (chosen.backend !== 'wasm') rows.push(await onBackend('wasm', () => timeDsCnnForward({ batch, steps: Math.min(steps, 10), warmup: 2 })));
  if (chosen.backend !== 'cpu') {
    rows.push(await onBackend('cpu', () => timeDsCnnForward({ batch, steps: 3, warmup: 1 })));
    if (flags['cpu-step']) rows.push(await onBackend('cpu', () => timeDsCnnTraining({ batch, steps: 1, warmup: 0 })));
  }
}

const torchMs = typeof torch === 'string' ? undefined : torch.msPerStep;
const torchMin = typeof torch === 'string' ? undefined : torch.minMs;
const ratio = (r: StepTiming) => (torchMs && torchMin && r.mode === 'train' ? `${(r.msPerStep / torchMs).toFixed(2)}x; ${(r.minMs / torchMin).toFixed(2)}x` : '');
if (flags.json) {
  const out = rows.map((r) => (typeof r === 'string' ? { error: r } : { ...r, vsTorch: torchMs && r.mode === 'train' ? r.msPerStep / torchMs : null }));
  process.stdout.write(JSON.stringify({ choice, torch, rows: out }, null, 2) + '\n');
} else {
  console.log(`DS-CNN, batch ${batch}, input 49x10x1, 12 classes (tfjs ${tf.version_core})`);
  const line = (name: string, mode: string, bn: string, t: { msPerStep: number; minMs: number; cpuMsPerStep: number }, vs: string) =>
    console.log(name.padEnd(12) + mode.padEnd(10) + bn.padEnd(14) + [t.msPerStep, t.minMs, t.cpuMsPerStep].map((v) => v.toFixed(1).padStart(10)).join('') + '  ' + vs);
  console.log('backend'.padEnd(12) + 'mode'.padEnd(10) + 'batch norm'.padEnd(14) + ['ms/step', 'min ms', 'cpu ms'].map((h) => h.padStart(10)).join('') + '  vs PyTorch (median; min)');
  for (const r of rows) {
    if (typeof r === 'string') console.log(`  (${r})`);
    else line(r.backend, r.mode, r.bn, r, ratio(r));
  }
  if (typeof torch === 'string') console.log(`  (${torch})`);
  else line('pytorch-cpu', 'train', 'nn.BatchNorm2d', torch, `1.00x (torch ${torch.torch}, ${torch.threads} threads)`);
  const both = [torchBefore, torchAfter].map((t) => (typeof t === 'string' ? t : `${t.msPerStep.toFixed(1)} ms`));
  console.log(`PyTorch median, default OpenMP / OMP_WAIT_POLICY=PASSIVE: ${both.join(' / ')}; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);
}
