// npm run bench:train — ms/step of the training steps pqk runs on the zoo's DS-CNN (batch 100, 49x10x1, 12 classes):
// the float step, the phase-1 QAT step and the phase-2 mutual step on the chosen tfjs backend, side by side with
// PyTorch CPU's float step and its fake-quant QAT step (torch.ao.quantization) on the same network, as ratios.
// Then the same three steps on the webgpu backend, when it starts, with its adapter named.
// Flags: --backend B, --model NAME (a zoo model; PyTorch has DS-CNN only), --steps N (default 20), --batch N,
// --profile (per-kernel times of one step of each kind), --no-torch, --json. PyTorch runs before the tfjs timings
// (its default OpenMP spinning) and after them (OMP_WAIT_POLICY=PASSIVE, which holds up far better on a busy machine);
// the faster median is the yardstick.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter, initBackend } from '../src/backend/select.js';
import { profileTrainingStep, STEP_KINDS, timeTrainingSteps, type StepTiming } from '../src/pipeline/step-timing.js';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string' },
    model: { type: 'string', default: 'ds-cnn' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '100' },
    'no-torch': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(flags.steps);
const batch = Number(flags.batch);
const model = flags.model!;
const log = (s: string) => process.stderr.write(s + '\n');

interface TorchTiming {
  step: 'float' | 'qat';
  msPerStep: number;
  minMs: number;
  cpuMsPerStep: number;
  torch: string;
  threads: number;
}

// PyTorch is a yardstick only: Debian's python3-torch, 2 threads, the same architecture and batch.
async function torchTiming(qat: boolean, env: Record<string, string> = {}): Promise<TorchTiming | string> {
  if (flags['no-torch']) return 'skipped (--no-torch)';
  if (model !== 'ds-cnn') return `PyTorch yardstick: DS-CNN only (not ${model})`;
  try {
    const args = ['bench/torch_dscnn.py', '--batch', String(batch), '--steps', String(steps), '--threads', '2', ...(qat ? ['--qat'] : [])];
    const r = await execa('/usr/bin/python3', args, { env });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming;
  } catch (e) {
    return `PyTorch yardstick unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const faster = (a: TorchTiming | string, b: TorchTiming | string) =>
  typeof b === 'string' || (typeof a !== 'string' && a.msPerStep <= b.msPerStep) ? a : b;

const before = [await torchTiming(false), await torchTiming(true)];
const choice = await initBackend(flags.backend);
log(`backend: ${choice.name} — ${choice.reason}`);
// The three steps on the active backend.
async function timeSteps(): Promise<StepTiming[]> {
  const out: StepTiming[] = [];
  for (const step of STEP_KINDS) {
    const t = await timeTrainingSteps({ model, step, batch, steps, warmup: 3 });
    log(`  ${model} ${step} on ${t.backend}: ${t.msPerStep.toFixed(1)} ms/step (median of ${steps})`);
    out.push(t);
  }
  return out;
}
const rows = await timeSteps();
const profiles = [];
if (flags.profile)
  for (const step of STEP_KINDS) {
    const p = await profileTrainingStep({ model, step, batch });
    const top = p.kernels.slice(0, 10).map((k) => `${k.kernel} ${k.ms.toFixed(1)} ms x${k.calls}`);
    log(
      `profile ${step}: step ${p.stepMs.toFixed(1)} ms, kernels ${p.kernels.reduce((a, k) => a + k.ms, 0).toFixed(1)} ms: ${top.join(', ')}`,
    );
    profiles.push({ step, ...p });
  }
// The WebGPU rows beside them, on whatever adapter this machine has (a software one here), named.
let webgpu: { adapter: string; rows: StepTiming[] } | { unavailable: string } = { unavailable: 'it is the chosen backend' };
if (choice.name !== 'webgpu') {
  const wg = await initBackend('webgpu').catch((e: unknown) => (e as Error).message);
  if (typeof wg === 'string') webgpu = { unavailable: wg };
  else webgpu = { adapter: wg.adapter ? describeAdapter(wg.adapter) : 'unnamed', rows: await timeSteps() };
}
const after = [await torchTiming(false, { OMP_WAIT_POLICY: 'PASSIVE' }), await torchTiming(true, { OMP_WAIT_POLICY: 'PASSIVE' })];
const torchFloat = faster(before[0]!, after[0]!);
const torchQat = faster(before[1]!, after[1]!);
const float = rows[0]!;
const ms = (t: TorchTiming | string) => (typeof t === 'string' ? undefined : t.msPerStep);
const ratios = {
  floatVsTorch: ms(torchFloat) ? float.msPerStep / ms(torchFloat)! : null, // goal: at most 1.0
  qatVsFloat: rows[1]!.msPerStep / float.msPerStep, // goal: at most 2
  phase2VsFloat: rows[2]!.msPerStep / float.msPerStep, // goal: at most 3
  qatVsTorchQat: ms(torchQat) ? rows[1]!.msPerStep / ms(torchQat)! : null,
  torchQatVsTorchFloat: ms(torchQat) && ms(torchFloat) ? ms(torchQat)! / ms(torchFloat)! : null,
};
const machine = { loadAverage: loadavg()[0], cores: cpus().length };
if (flags.json) {
  process.stdout.write(
    JSON.stringify(
      { choice, model, batch, rows, webgpu, torch: { float: torchFloat, qat: torchQat }, ratios, machine, profiles },
      null,
      2,
    ) + '\n',
  );
} else {
  console.log(`${model}, batch ${batch}, ${steps} timed steps (tfjs ${tf.version_core}, backend ${choice.name})`);
  console.log('step'.padEnd(26) + ['ms/step', 'min ms', 'cpu ms'].map((h) => h.padStart(10)).join('') + '  ratio');
  const line = (name: string, t: { msPerStep: number; minMs: number; cpuMsPerStep: number }, ratio: string) =>
    console.log(name.padEnd(26) + [t.msPerStep, t.minMs, t.cpuMsPerStep].map((v) => v.toFixed(1).padStart(10)).join('') + '  ' + ratio);
  const x = (v: number | null, what: string, goal: string) => (v === null ? '' : `${v.toFixed(2)}x ${what} (goal ${goal})`);
  line(`pqk float (${float.backend})`, float, x(ratios.floatVsTorch, 'PyTorch float', '<= 1.0x'));
  line(
    `pqk qat (${float.backend})`,
    rows[1]!,
    x(ratios.qatVsFloat, 'pqk float', '<= 2x') + (ratios.qatVsTorchQat === null ? '' : `; ${ratios.qatVsTorchQat.toFixed(2)}x PyTorch QAT`),
  );
  line(`pqk phase2 (${float.backend})`, rows[2]!, x(ratios.phase2VsFloat, 'pqk float', '<= 3x'));
  if ('rows' in webgpu)
    webgpu.rows.forEach((t, i) =>
      line(
        `pqk ${t.step} (webgpu)`,
        t,
        `${(t.msPerStep / rows[i]!.msPerStep).toFixed(2)}x ${rows[i]!.backend}${i === 0 ? `; ${webgpu.adapter}` : ''}`,
      ),
    );
  else console.log(`  (webgpu: ${webgpu.unavailable})`);
  for (const [name, t] of [
    ['pytorch-cpu float', torchFloat],
    ['pytorch-cpu qat', torchQat],
  ] as const) {
    if (typeof t === 'string') console.log(`  (${name}: ${t})`);
    else
      line(
        name,
        t,
        name.endsWith('qat') && ratios.torchQatVsTorchFloat !== null
          ? `${ratios.torchQatVsTorchFloat.toFixed(2)}x PyTorch float (torch ${t.torch})`
          : `torch ${t.torch}, ${t.threads} threads`,
      );
  }
  console.log(`load average ${machine.loadAverage!.toFixed(1)} on ${machine.cores} cores`);
}
