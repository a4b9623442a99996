// bench:pqk resumes committed records on a machine without their checkpoints: it trains only what a missing result
// needs, rebuilds the float model and phase 1 under a result still to make, and refuses a rebuilt model that is not
// the one its record was made from (the seed's rows would pair two different models).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { recordKey, RecordStore, type SeedRecord } from '../../bench/pqk/records.js';
import { runSeed } from '../../bench/pqk/runner.js';
import { initBackend } from '../../src/backend/select.js';
import { parseBenchArgs, type CompressConfig } from '../../bench/pqk/settings.js';
import { RunStateError } from '../../src/errors.js';
import { atomicWriteJson, readJson } from '../../src/util/fs.js';
import { blobDataset } from '../helpers.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-bench-runner-'));
before(async () => {
  await initBackend();
});
after(() => rmSync(root, { recursive: true, force: true }));

// The quick preset's recipe (one epoch per stage).
const t = parseBenchArgs(['--preset', 'quick']).train;
const cfg: CompressConfig = { pattern: 'unstructured', sparsity: 0.5, weightBits: 8 };
const data = blobDataset({ inputShape: [10, 4, 1], classes: 4, train: 40, test: 40, seed: 5 });
const records = join(root, 'records.json');
const work = join(root, 'work');
const seed = (store: RecordStore) => runSeed({ task: 'kws', seed: 1, data, t, work, store, log: () => {} }, [cfg]);
const key = (m: SeedRecord['method']) => recordKey('kws', m, 1, m === 'float' ? undefined : cfg);
const read = () => readJson<Record<string, SeedRecord>>(records, 'records');
const edit = (f: (r: Record<string, SeedRecord>) => void) => {
  const r = read();
  f(r);
  atomicWriteJson(records, r);
};

test('records resume on a machine without checkpoints: nothing retrained when done, the same model rebuilt when needed, another refused', async () => {
  await seed(new RecordStore(records));
  const first = read();
  assert.deepEqual(Object.keys(first).sort(), (['float', 'phase1', 'phase1+ce', 'phase1+warmup', 'pqk'] as const).map(key).sort());

  // Every result recorded, the checkpoints gone (another machine): nothing is trained, not even the float model.
  rmSync(work, { recursive: true });
  await seed(new RecordStore(records));
  assert.equal(existsSync(work), false);

  // One result missing: the float model and phase 1 are rebuilt, match their records, and the result comes out the same.
  rmSync(work, { recursive: true, force: true });
  edit((r) => delete r[key('pqk')]);
  await seed(new RecordStore(records));
  const again = read();
  assert.equal(again[key('pqk')]!.accuracy, first[key('pqk')]!.accuracy);
  assert.deepEqual(again[key('pqk')]!.valHistory, first[key('pqk')]!.valHistory);

  // A record made from another float model (here: one epoch's validation accuracy differs): refused, naming the record.
  rmSync(work, { recursive: true });
  edit((r) => {
    delete r[key('pqk')];
    r[key('float')]!.valHistory![0]! += 0.01;
  });
  await assert.rejects(
    seed(new RecordStore(records)),
    (e: Error) =>
      e instanceof RunStateError &&
      /^kws\/float\/float\/s1: the model in .* is not the one recorded \(validation accuracy after epoch 1: /.test(e.message),
  );
  assert.equal(read()[key('pqk')], undefined);

  // The same for phase 1: the float model matches again, phase 1's record does not.
  rmSync(work, { recursive: true });
  edit((r) => {
    r[key('float')]!.valHistory = first[key('float')]!.valHistory;
    r[key('phase1')]!.valHistory![0]! -= 0.01;
  });
  await assert.rejects(
    seed(new RecordStore(records)),
    (e: Error) => e instanceof RunStateError && /^kws\/phase1\/u0\.5w8\/s1: the model in .*phase1 is not the one recorded/.test(e.message),
  );
});
