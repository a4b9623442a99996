// libFuzzer on the model reader and interpreter (clang -fsanitize=fuzzer,address,undefined): a seed corpus of
// valid models and corrupted copies of them, then a bounded fuzzing run. Malformed input must end in an error
// status; any crash, out-of-bounds access or undefined behaviour fails the run.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildHarness, hostBinary } from './harness.js';
import { seedCorpus } from './corpus.js';

const fuzzer = hostBinary('pqk-micro-fuzz');

before(buildHarness);

describe('firmware-harness fuzzing', () => {
  it('libFuzzer target is built', () => {
    assert.ok(existsSync(fuzzer), `${fuzzer} missing; see firmware-harness/build/host/fuzz-build.log`);
  });

  it('survives the seed corpus and 150,000 fuzzing runs without a crash or sanitizer report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqk-fuzz-'));
    try {
      const corpus = join(dir, 'corpus');
      const artifacts = join(dir, 'crashes');
      for (const d of [corpus, artifacts]) rmSync(d, { recursive: true, force: true });
      await execa('mkdir', ['-p', corpus, artifacts]);
      seedCorpus().forEach((b, i) => writeFileSync(join(corpus, `seed-${String(i).padStart(3, '0')}.tflite`), b));
      const r = await execa(
        fuzzer,
        ['-runs=150000', '-seed=1', '-rss_limit_mb=2048', '-max_len=65536', `-artifact_prefix=${artifacts}/`, corpus],
        { reject: false },
      );
      assert.equal(r.exitCode, 0, r.stderr.split('\n').slice(-40).join('\n'));
      assert.deepEqual(readdirSync(artifacts), []);
      assert.match(r.stderr, /Done 150000 runs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
