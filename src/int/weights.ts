// Symmetric weight quantization (8 bit: [-127, 127], 4 bit: [-7, 7]) and int32 bias quantization with
// scale s_in * s_w[c], as the TFLite converter writes them. Scales are returned as float32 values because the
// flatbuffer stores float32 and every runtime computes from those.

import { roundHalfAway } from './common.js';

export interface QuantizedWeights {
  q: Int8Array; // same layout as the float weights; int4 values held unpacked
  scale: number[]; // one per channel along `axis` (per-channel) or a single entry (per-tensor)
}

// Largest magnitude of the symmetric grid: 127 for int8, 7 for int4.
export function weightRange(bits: 4 | 8): number {
  return bits === 8 ? 127 : 7;
}

// A channel whose weights are all zero (pruned away) gets scale 1 so that bias and multipliers stay finite.
function symmetricScale(maxAbs: number, qmax: number): number {
  return maxAbs > 0 ? Math.fround(maxAbs / qmax) : 1;
}

function quantizeOne(w: number, scale: number, qmax: number): number {
  const q = roundHalfAway(Math.fround(w / scale));
  return q < -qmax ? -qmax : q > qmax ? qmax : q;
}

export function quantizeWeightsPerChannel(w: Float32Array, shape: readonly number[], axis: number, bits: 4 | 8): QuantizedWeights {
  const qmax = weightRange(bits);
  const channels = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  if (channels === undefined || w.length % (channels * inner) !== 0) {
    throw new Error(`quantizeWeightsPerChannel: shape [${shape.join(', ')}] / axis ${axis} do not fit ${w.length} values`);
  }
  const outer = w.length / (channels * inner);
  const maxAbs = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[base + i]));
    }
  }
  const scale = Array.from(maxAbs, (m) => symmetricScale(m, qmax));
  const q = new Int8Array(w.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) q[base + i] = quantizeOne(w[base + i], scale[c], qmax);
    }
  }
  return { q, scale };
}

export function quantizeWeightsPerTensor(w: Float32Array, bits: 4 | 8): QuantizedWeights {
  const qmax = weightRange(bits);
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]));
  const scale = symmetricScale(maxAbs, qmax);
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = quantizeOne(w[i], scale, qmax);
  return { q, scale: [scale] };
}

// Bias for output channel c: round(b[c] / (s_in * s_w[c])), the product taken in float32 as the converter stores it.
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: readonly number[]): { q: Int32Array; scale: number[] } {
  const ws = (c: number): number => Math.fround(weightScales.length === 1 ? weightScales[0] : weightScales[c]);
  const scale = Array.from(b, (_, c) => Math.fround(Math.fround(inputScale) * ws(c)));
  const q = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    const v = roundHalfAway(b[c] / scale[c]);
    q[c] = v < -2147483648 ? -2147483648 : v > 2147483647 ? 2147483647 : v;
  }
  return { q, scale };
}
