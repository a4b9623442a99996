// Which student pqk run exports: the best validation accuracy, ties to the earlier (preferred) student; 'last' = phase 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseStudent } from '../../src/pipeline/run.js';
import type { StageState } from '../../src/train/stage.js';

const st = (valAccuracy: number | undefined): StageState => ({ epoch: 1, done: true, valAccuracy, history: [] });

test('the highest validation accuracy ships; a tie keeps the earlier student; a missing one never wins', () => {
  assert.equal(chooseStudent([{ name: 'phase2', state: st(0.9) }, { name: 'phase1', state: st(0.91) }], 'best').stage, 'phase1');
  assert.equal(chooseStudent([{ name: 'phase2', state: st(0.9) }, { name: 'phase2-ce', state: st(0.9) }, { name: 'phase1', state: st(0.9) }], 'best').stage, 'phase2');
  assert.equal(chooseStudent([{ name: 'phase2', state: st(0.8) }, { name: 'phase2-ce', state: st(0.85) }, { name: 'phase1', state: st(0.84) }], 'best').stage, 'phase2-ce');
  assert.equal(chooseStudent([{ name: 'phase2', state: st(NaN) }, { name: 'phase1', state: st(0.5) }], 'best').stage, 'phase1');
  const r = chooseStudent([{ name: 'phase2', state: st(0.8) }, { name: 'phase1', state: st(0.9) }], 'last');
  assert.equal(r.stage, 'phase2');
  assert.equal(r.reason, "phase2.ship 'last' (validation: phase2 80.00%, phase1 90.00%)");
});
