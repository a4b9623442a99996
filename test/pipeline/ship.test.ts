// Which student pqk run exports: the best validation accuracy, ties to the earlier (preferred) student; 'last' = phase 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseStudent, pairedZ } from '../../src/pipeline/run.js';
import type { StageState } from '../../src/train/stage.js';

const st = (valAccuracy: number | undefined): StageState => ({ epoch: 1, done: true, valAccuracy, history: [] });

test('the highest validation accuracy ships; a tie keeps the earlier student; a missing one never wins', () => {
  assert.equal(
    chooseStudent(
      [
        { name: 'phase2', state: st(0.9) },
        { name: 'phase1', state: st(0.91) },
      ],
      'best',
    ).stage,
    'phase1',
  );
  assert.equal(
    chooseStudent(
      [
        { name: 'phase2', state: st(0.9) },
        { name: 'phase2-ce', state: st(0.9) },
        { name: 'phase1', state: st(0.9) },
      ],
      'best',
    ).stage,
    'phase2',
  );
  assert.equal(
    chooseStudent(
      [
        { name: 'phase2', state: st(0.8) },
        { name: 'phase2-ce', state: st(0.85) },
        { name: 'phase1', state: st(0.84) },
      ],
      'best',
    ).stage,
    'phase2-ce',
  );
  assert.equal(
    chooseStudent(
      [
        { name: 'phase2', state: st(NaN) },
        { name: 'phase1', state: st(0.5) },
      ],
      'best',
    ).stage,
    'phase1',
  );
  const r = chooseStudent(
    [
      { name: 'phase2', state: st(0.8) },
      { name: 'phase1', state: st(0.9) },
    ],
    'last',
  );
  assert.equal(r.stage, 'phase2');
  assert.equal(r.reason, "phase2.ship 'last' (validation: phase2 80.00%, phase1 90.00%)");
});

// n validation samples; `right` lists the indices a student gets right.
const correct = (n: number, right: (i: number) => boolean): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (right(i) ? 1 : 0));

test('pairedZ counts the samples only one side gets right: (b - c) / sqrt(b + c)', () => {
  const base = correct(10, (i) => i < 5);
  const a = correct(10, (i) => i < 3 || (i >= 5 && i < 9)); // loses 3, 4; wins 5..8
  const r = pairedZ(a, base);
  assert.deepEqual([r.b, r.c], [4, 2]);
  assert.ok(Math.abs(r.z - 2 / Math.sqrt(6)) < 1e-12);
  assert.equal(pairedZ(base, base).z, 0);
});

test('with per-sample validation results, phase 2 ships only when it beats phase 1 by a paired z >= 1.645', () => {
  const n = 1200;
  const p1 = correct(n, (i) => i % 10 !== 0); // 90%
  // 15 won, 12 lost: 3 more right than phase 1 (the main job's case: 89.17% against 88.92%), z 0.58: phase 1 ships
  const noisy = correct(n, (i) => (i % 10 !== 0 || i < 150) && !(i > 600 && i < 614 && i % 10 !== 0));
  assert.deepEqual(pairedZ(noisy, p1).b, 15);
  assert.deepEqual(pairedZ(noisy, p1).c, 12);
  const close = chooseStudent(
    [
      { name: 'phase2', state: st(0.9025), valCorrect: noisy },
      { name: 'phase1', state: st(0.9), valCorrect: p1 },
    ],
    'best',
  );
  assert.equal(close.stage, 'phase1');
  assert.match(close.reason, /no student beats phase1 on 1200 validation samples .*phase2 \+15 \/ -12, z 0\.58/);
  // 40 more right and none lost: z = 40 / sqrt(40) = 6.3
  const clear = correct(n, (i) => i % 10 !== 0 || i < 400);
  assert.equal(
    chooseStudent(
      [
        { name: 'phase2', state: st(0.933), valCorrect: clear },
        { name: 'phase1', state: st(0.9), valCorrect: p1 },
      ],
      'best',
    ).stage,
    'phase2',
  );
  // both phase-2 students significant: the higher validation accuracy of the two
  const clearer = correct(n, (i) => i % 10 !== 0 || i < 600);
  const three = [
    { name: 'phase2' as const, state: st(0.933), valCorrect: clear },
    { name: 'phase2-ce' as const, state: st(0.95), valCorrect: clearer },
    { name: 'phase1' as const, state: st(0.9), valCorrect: p1 },
  ];
  assert.equal(chooseStudent(three, 'best').stage, 'phase2-ce');
});
