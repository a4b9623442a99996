// The hot-loop rescaler against the plain definitions, and weight / bias quantization.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelRescaler, rescaleChannel } from '../../src/int/requantize.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierTiesUp,
  quantizeBias,
  quantizeWeightsPerChannel,
  quantizeWeightsPerTensor,
} from '../../src/int/quantize.js';
import { rng } from './helpers.js';

test('channelRescaler equals its three definitions: away, ties-up, single rounding', () => {
  const r = rng(11);
  const n = 64;
  const multiplier = Int32Array.from({ length: n }, (_, c) =>
    c === 0 ? 2 ** 30 : c === 1 ? 2 ** 31 - 1 : 2 ** 30 + Math.floor(r() * 2 ** 30),
  );
  const shift = Int32Array.from({ length: n }, (_, c) => (c < 4 ? [0, -31, 3, -1][c] : Math.floor(r() * 36) - 31));
  const away = channelRescaler({ multiplier, shift }, 'away');
  const up = channelRescaler({ multiplier, shift }, 'ties-up');
  const single = channelRescaler({ multiplier, shift }, 'single');
  const mixed = channelRescaler({ multiplier, shift }, (c) => (c < 8 ? 'ties-up' : 'away'));
  for (let i = 0; i < 100000; i++) {
    const c = i % n;
    const bits = shift[c] > 0 ? 31 - shift[c] : 32;
    const x = Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * bits)));
    assert.equal(rescaleChannel(away, c, x), multiplyByQuantizedMultiplier(x, multiplier[c], shift[c]), `away x=${x} c=${c}`);
    assert.equal(rescaleChannel(up, c, x), multiplyByQuantizedMultiplierTiesUp(x, multiplier[c], shift[c]), `ties-up x=${x} c=${c}`);
    assert.equal(
      rescaleChannel(single, c, x),
      multiplyByQuantizedMultiplierSingleRounding(x, multiplier[c], shift[c]),
      `single x=${x} c=${c}`,
    );
    assert.equal(rescaleChannel(mixed, c, x), rescaleChannel(c < 8 ? up : away, c, x));
  }
  for (const x of [-(2 ** 31), 2 ** 31 - 1, -1, 1, 0]) {
    assert.equal(rescaleChannel(away, 1, x), multiplyByQuantizedMultiplier(x, multiplier[1], shift[1]));
  }
});

test('per-channel symmetric weights: 8 bit in [-127, 127], 4 bit in [-7, 7], pruned channels keep scale 1', () => {
  // [O=3, I=2]: channel 0 max 2.54, channel 1 max 0.7, channel 2 all zero
  const w = Float32Array.from([2.54, -1.27, 0.7, -0.35, 0, 0]);
  const q8 = quantizeWeightsPerChannel(w, [3, 2], 0, 8);
  assert.deepEqual(q8.scale, [Math.fround(0.02), Math.fround(0.7 / 127), 1]);
  assert.deepEqual(Array.from(q8.q), [127, -64, 127, -64, 0, 0]); // -1.27/0.02 = -63.5 -> -64, away from zero
  const q4 = quantizeWeightsPerChannel(w, [3, 2], 0, 4);
  assert.deepEqual(Array.from(q4.q), [7, -4, 7, -4, 0, 0]); // -3.5 -> -4
  // Depthwise layout [1, KH, KW, C] quantizes along the last axis.
  const dw = quantizeWeightsPerChannel(Float32Array.from([1, -4, -2, 2]), [1, 2, 1, 2], 3, 8);
  assert.deepEqual(dw.scale, [Math.fround(2 / 127), Math.fround(4 / 127)]);
  assert.deepEqual(Array.from(dw.q), [64, -127, -127, 64]); // 63.5 -> 64
  const t = quantizeWeightsPerTensor(Float32Array.from([0.5, -1, 0.25]), 8);
  assert.deepEqual(t.scale, [Math.fround(1 / 127)]);
  assert.deepEqual(Array.from(t.q), [64, -127, 32]);
  assert.throws(() => quantizeWeightsPerChannel(w, [4, 2], 0, 8), /do not fit/);
});

test('bias quantization uses the float32 product of the scales', () => {
  const b = quantizeBias(Float32Array.from([1, -0.5, 0.3]), 0.1, [0.5, 0.25, 2]);
  assert.deepEqual(
    b.scale,
    [0.5, 0.25, 2].map((s) => Math.fround(Math.fround(0.1) * s)),
  );
  assert.deepEqual(Array.from(b.q), [20, -20, 2]); // 0.3 / 0.2 = 1.5 -> 2
});
