// Which fixed-point rounding each runtime applies when it rescales an int32 accumulator to int8, per op. The
// integer reference must pick the same one per target to stay bit-exact; these facts pin it.
//   reference: common.h MultiplyByQuantizedMultiplier (two roundings, ties away from zero)
//   tiesUp:    ruy's native rounding (two roundings, ties upwards)
//   single:    one rounding, (x * m + 2^(t-1)) >> t
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QModel, QTensor } from '../../src/int/graph.js';
import * as Q from '../../src/int/quantize.js';
import { convMultipliers } from '../../src/int/requantize.js';
import { writeTflite } from '../../src/tflite/writer.js';
import type { Runtime } from '../../src/runtimes/types.js';
import { getRuntime } from '../../src/runtimes/index.js';
import { buildNative } from './build.js';
import { lcg } from './models.js';

type Rescale = (acc: number, multiplier: number, shift: number) => number;
const ROUNDINGS: Record<string, Rescale> = {
  reference: Q.multiplyByQuantizedMultiplier,
  tiesUp: Q.multiplyByQuantizedMultiplierTiesUp,
  single: Q.multiplyByQuantizedMultiplierSingleRounding,
};

// One op on a [1, H, W, C] input. Effective multipliers s_in * s_w / s_out lie in [0.26, 0.46) (shift -1) and
// inputs and weights are small, so outputs stay in range, rounding ties are frequent and every pair of roundings
// disagrees somewhere.
interface Case {
  op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';
  model: QModel;
  accumulators(x: Int8Array): { acc: number; channel: number }[]; // in output order
}

const rnd = lcg(2024);
const small = (n: number, r: number, centre = 0) => Int8Array.from({ length: n }, () => centre + Math.floor(rnd() * (2 * r + 1)) - r);
const H = 8,
  W = 6,
  C = 16,
  IN_SCALE = 0.05,
  IN_ZERO = -3,
  OUT_SCALE = 0.5,
  OUT_ZERO = 4;

function tensors(wShape: number[], channels: number, qDim: number, outShape: number[], perChannel: boolean): QTensor[] {
  const ws = Array.from({ length: perChannel ? channels : 1 }, () => (OUT_SCALE / IN_SCALE) * (0.26 + 0.2 * rnd()));
  const [wq, bq] = perChannel ? [{ quantizedDim: qDim }, { quantizedDim: 0 }] : [{}, {}];
  return [
    { name: 'in', shape: [1, H, W, C], dtype: 'int8', scale: [IN_SCALE], zeroPoint: [IN_ZERO] },
    {
      name: 'w',
      shape: wShape,
      dtype: 'int8',
      scale: ws,
      zeroPoint: ws.map(() => 0),
      ...wq,
      data: small(
        wShape.reduce((a, b) => a * b),
        3,
      ),
    },
    {
      name: 'b',
      shape: [channels],
      dtype: 'int32',
      scale: ws.map((s) => s * IN_SCALE),
      zeroPoint: ws.map(() => 0),
      ...bq,
      data: Int32Array.from({ length: channels }, () => Math.floor(rnd() * 200) - 100),
    },
    { name: 'out', shape: outShape, dtype: 'int8', scale: [OUT_SCALE], zeroPoint: [OUT_ZERO] },
  ];
}

function model(op: QModel['ops'][number], t: QTensor[]): QModel {
  return { tensors: t, ops: [op], inputs: [0], outputs: [3], metadata: {} };
}

// Accumulator of a 3x3 SAME window at (y, x): conv sums over input channels, depthwise keeps channel c.
function window(x: Int8Array, w: Int8Array, y: number, xx: number, oc: number, depthwise: boolean): number {
  let acc = 0;
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++) {
      const iy = y + ky - 1,
        ix = xx + kx - 1;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      for (let ic = depthwise ? oc : 0; ic < (depthwise ? oc + 1 : C); ic++) {
        const wi = depthwise ? (ky * 3 + kx) * C + oc : ((oc * 3 + ky) * 3 + kx) * C + ic;
        acc += (x[(iy * W + ix) * C + ic] - IN_ZERO) * w[wi];
      }
    }
  return acc;
}

function convCase(depthwise: boolean): Case {
  const t = tensors(depthwise ? [1, 3, 3, C] : [C, 3, 3, C], C, depthwise ? 3 : 0, [1, H, W, C], true);
  const options = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
  const op = depthwise
    ? { op: 'DEPTHWISE_CONV_2D' as const, inputs: [0, 1, 2], outputs: [3], options: { ...options, depthMultiplier: 1 } }
    : { op: 'CONV_2D' as const, inputs: [0, 1, 2], outputs: [3], options };
  const [w, b] = [t[1].data as Int8Array, t[2].data as Int32Array];
  const accumulators = (x: Int8Array) => {
    const out: { acc: number; channel: number }[] = [];
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let oc = 0; oc < C; oc++) out.push({ acc: b[oc] + window(x, w, y, xx, oc, depthwise), channel: oc });
    return out;
  };
  return { op: op.op, model: model(op, t), accumulators };
}

// FULLY_CONNECTED over the flattened input (TFLite 2.9 reads only a per-tensor weight scale).
function fcCase(): Case {
  const n = H * W * C,
    outN = 32;
  const t = tensors([outN, n], outN, 0, [1, outN], false);
  const [w, b] = [t[1].data as Int8Array, t[2].data as Int32Array];
  const accumulators = (x: Int8Array) =>
    Array.from({ length: outN }, (_, o) => ({ acc: b[o] + x.reduce((a, v, i) => a + (v - IN_ZERO) * w[o * n + i], 0), channel: 0 }));
  const op = {
    op: 'FULLY_CONNECTED' as const,
    inputs: [0, 1, 2],
    outputs: [3],
    options: { activation: 'NONE', keepNumDims: false } as const,
  };
  return { op: 'FULLY_CONNECTED', model: model(op, t), accumulators };
}

// Outputs that differ from what each rounding predicts.
async function mismatches(rt: Runtime, c: Case, samples: Int8Array[]): Promise<Record<string, number>> {
  const w = c.model.tensors[1];
  const { multiplier, shift } = convMultipliers(IN_SCALE, w.scale, OUT_SCALE, w.scale.length);
  const outs = (await rt.run(writeTflite(c.model), samples)).outputs;
  const counts: Record<string, number> = {};
  for (const [name, f] of Object.entries(ROUNDINGS)) {
    counts[name] = 0;
    samples.forEach((x, s) =>
      c.accumulators(x).forEach(({ acc, channel }, i) => {
        const v = Math.max(-128, Math.min(127, f(acc, multiplier[channel], shift[channel]) + OUT_ZERO));
        if (v !== outs[s][i]) counts[name]++;
      }),
    );
  }
  return counts;
}

const EXPECTED: Record<string, Record<Case['op'], string>> = {
  tflite: { CONV_2D: 'tiesUp', DEPTHWISE_CONV_2D: 'reference', FULLY_CONNECTED: 'tiesUp' },
  arm64: { CONV_2D: 'single', DEPTHWISE_CONV_2D: 'tiesUp', FULLY_CONNECTED: 'tiesUp' },
  litert: { CONV_2D: 'single', DEPTHWISE_CONV_2D: 'single', FULLY_CONNECTED: 'single' },
};

describe('accumulator rounding per runtime and op', () => {
  before(buildNative);
  const cases = [convCase(false), convCase(true), fcCase()];
  const samples = Array.from({ length: 12 }, () => small(H * W * C, 8, IN_ZERO));

  for (const [runtime, ops] of Object.entries(EXPECTED)) {
    it(`${runtime}: ${Object.entries(ops)
      .map(([op, r]) => `${op} ${r}`)
      .join(', ')}`, async () => {
      for (const c of cases) {
        const counts = await mismatches(getRuntime(runtime), c, samples);
        for (const [name, n] of Object.entries(counts)) {
          if (name === ops[c.op]) assert.equal(n, 0, `${runtime} ${c.op} vs ${name}: ${JSON.stringify(counts)}`);
          else assert.ok(n > 0, `${runtime} ${c.op}: ${name} not told apart: ${JSON.stringify(counts)}`);
        }
      }
    });
  }
});
