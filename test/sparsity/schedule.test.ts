import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pqkSteps, polynomialDecay } from '../../src/compress/sparsity/index.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('pqkSteps geometric: the same fraction of the kept weights goes each round', () => {
  // 0.1^(1/3) = 0.4641588834, 0.1^(2/3) = 0.2154434690 -> 0.5358411166, 0.7845565310, 0.9
  const levels = pqkSteps({ final: 0.9, steps: 3 });
  [0.5358411166, 0.784556531, 0.9].forEach((v, k) => close(levels[k], v, `round ${k + 1}`));
  assert.equal(levels[2], 0.9);
  // 0.75 in 2: kept 0.25^(1/2) = 0.5 after round 1 -> 0.5, 0.75
  assert.deepEqual(pqkSteps({ final: 0.75, steps: 2 }), [0.5, 0.75]);
});

test('pqkSteps cubic: final * (1 - (1 - k/steps)^3)', () => {
  // 0.9 * (1 - 8/27) = 0.6333..., 0.9 * (1 - 1/27) = 0.8666..., 0.9
  const levels = pqkSteps({ final: 0.9, steps: 3, rule: 'cubic' });
  [0.6333333333, 0.8666666667, 0.9].forEach((v, k) => close(levels[k], v, `round ${k + 1}`));
});

test('pqkSteps is strictly increasing and ends exactly at final', () => {
  for (const rule of ['geometric', 'cubic'] as const) {
    for (const final of [0.01, 0.3, 0.5, 0.8, 0.95, 0.999]) {
      for (const steps of [1, 2, 5, 10, 40]) {
        const levels = pqkSteps({ final, steps, rule });
        assert.equal(levels.length, steps);
        assert.equal(levels[steps - 1], final);
        for (let k = 1; k < steps; k++) assert.ok(levels[k] > levels[k - 1], `${rule} ${final} ${steps} at ${k}`);
        assert.ok(levels[0] > 0);
      }
    }
  }
  assert.throws(() => pqkSteps({ final: 1, steps: 3 }), /final 1/);
  assert.throws(() => pqkSteps({ final: 0.5, steps: 0 }), /steps 0/);
});

test('polynomialDecay matches TFMOT at known steps and holds between pruning steps', () => {
  const s = polynomialDecay({ initial: 0, final: 0.8, beginStep: 100, endStep: 1100, frequency: 100 });
  // p = (step - 100) / 1000; s = 0.8 - 0.8 * (1 - p)^3
  close(s(0), 0, 'before begin (clamped)');
  close(s(100), 0, 'begin');
  close(s(300), 0.3904, 'p 0.2: 0.8 - 0.8 * 0.512');
  close(s(350), 0.3904, 'held at the value of step 300');
  close(s.raw(350), 0.4625, 'raw p 0.25: 0.8 - 0.8 * 0.421875');
  close(s(600), 0.7, 'p 0.5: 0.8 - 0.8 * 0.125');
  close(s(650), 0.7, 'held');
  close(s.raw(650), 0.7271, 'p 0.55: 0.8 - 0.8 * 0.091125');
  close(s(1100), 0.8, 'end');
  close(s(5000), 0.8, 'after end (clamped)');
  assert.deepEqual([0, 99, 100, 150, 200, 1000, 1100, 1200].map(s.shouldPrune), [false, false, true, false, true, true, true, false]);
});

test('polynomialDecay with initial > 0, power 2, frequency 1', () => {
  const s = polynomialDecay({ initial: 0.5, final: 0.9, beginStep: 0, endStep: 10, frequency: 1, power: 2 });
  close(s(0), 0.5, 'begin');
  close(s(5), 0.8, '0.9 - 0.4 * 0.5^2');
  close(s(9), 0.896, '0.9 - 0.4 * 0.1^2');
  close(s(10), 0.9, 'end');
  assert.ok([0, 3, 10].every(s.shouldPrune) && !s.shouldPrune(11));
  assert.throws(() => polynomialDecay({ initial: 0, final: 1, beginStep: 0, endStep: 10, frequency: 1 }), /final 1/);
  assert.throws(() => polynomialDecay({ initial: 0, final: 0.5, beginStep: 10, endStep: 10, frequency: 1 }), /endStep/);
  const base = { initial: 0, final: 0.5, beginStep: 0, endStep: 10 };
  assert.throws(() => polynomialDecay({ ...base, frequency: 0 }), /frequency/);
});
