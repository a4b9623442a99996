// Bad input of every class a user can give: each ends in its exit code and one line naming the file, field or flag,
// never a stack trace, and never a silent wrong result; with --json the same error is an {"error": ...} object.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeWav } from '../../src/data/wav.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { lockRunDir } from '../../src/util/lock.js';
import { makeTinySet, removeTinySets } from '../data/fixtures.js';
import { dsCnn } from '../tflite/fixtures.js';
import { assertUserError, cli } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-errors-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
  removeTinySets();
});

const model = join(root, 'model.tflite');
const badScale = join(root, 'nan-scale.tflite');
let data: string;

before(() => {
  const bytes = writeTflite(dsCnn());
  writeFileSync(model, bytes);
  // The input scale (the first float32 equal to it in the file) set to NaN.
  const scale = dsCnn().tensors[0]!.scale[0]!;
  const nan = bytes.slice();
  const view = new DataView(nan.buffer);
  let at = -1;
  for (let i = 0; i + 4 <= nan.length; i += 4) if (view.getFloat32(i, true) === scale) ((at = i), (i = nan.length));
  assert.ok(at > 0);
  view.setFloat32(at, NaN, true);
  writeFileSync(badScale, nan);
  data = makeTinySet();
});

function config(name: string, value: unknown): string {
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function target(name: string, patch: (t: Record<string, unknown>) => void): string {
  const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8')) as Record<string, unknown>;
  delete t.$schema;
  t.name = name;
  patch(t);
  return config(name, t);
}

describe('usage errors exit 2 and name the flag', () => {
  const cases: [string[], RegExp][] = [
    [['verify', 'model.tflite', '--limit', '0', '--data', 'x'], /--limit must be an integer >= 1, got '0'/],
    [['verify', 'model.tflite', '--limit', 'abc', '--data', 'x'], /--limit must be an integer >= 1, got 'abc'/],
    [['verify', 'model.tflite', '--runtime', 'qemu:cortex-m99', '--data', 'x'], /--runtime: unknown runtime 'qemu:cortex-m99'/],
    [
      ['verify', 'model.tflite', '--runtime', 'tflite', '--from-audio', '--data', 'x'],
      /--from-audio runs the frontend on an emulated board: give --runtime qemu:<cpu>, not tflite/,
    ],
    [['run', '--verify-limit', '0'], /--verify-limit must be an integer >= 1, got '0'/],
    [['run', '--seed', '1.5'], /--seed must be an integer >= 0/],
    [['bench', 'train', '--batch', '0'], /--batch must be an integer >= 1 and <= 65536, got '0'/],
    [['train', '--data', 'x', '--out', 'y', '--batch', '0'], /--batch must be an integer >= 1/],
    [['train', '--data', 'x', '--out', 'y', '--epochs', '0'], /--epochs must be an integer >= 1/],
    [['train', '--data', 'x', '--out', 'y', '--lr=-1'], /--lr must be a number > 0 and <= 10, got '-1'/],
    [['train', '--data', 'x', '--out', 'y', '--lr', '1e-3x'], /--lr must be a number > 0 and <= 10, got '1e-3x'/],
    [['train', '--data', 'x', '--out', 'y', '--weight-decay=-0.5'], /--weight-decay must be a number >= 0 and <= 1000, got '-0.5'/],
    [['train', '--data', 'x', '--out', 'y', '--model', 'vgg'], /--model must be one of ds-cnn, ds-cnn-32, resnet, mlp, got 'vgg'/],
    [['train', '--data', 'x'], /missing required flag --out/],
    [['compress', '--run', 'x', '--phase', '3'], /--phase must be one of 1, 2, all, got '3'/],
    [['data', 'synth-kws', '--out', 'x', '--clips-per-word', '2'], /--clips-per-word must be an integer >= 3/],
    [['run', '--strict', '--no-strict'], /--strict and --no-strict contradict each other/],
    [['run', '--bogus'], /unknown flag --bogus; pqk run takes --target, --data, /],
    [['run', '--tagret', 'cortex-m4'], /unknown flag --tagret \(did you mean --target\?\)/],
    [['train', '--epoch', '3'], /unknown flag --epoch \(did you mean --epochs\?\)/],
    [['train', '--out', 'x', '--epochs'], /--epochs needs a value \(N\)/],
    [['train', '--epochs', '-3'], /--epochs needs a value \(N\); a value that starts with '-' is written --epochs=-\.\.\./],
    [['run', '--ce-control=yes'], /--ce-control takes no value/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, pattern] of cases) {
    test(args.join(' '), async () => {
      assertUserError(await cli(args), 2, pattern, args.join(' '), assert);
      const j = await cli([...args, '--json']);
      assert.equal(j.code, 2);
      const obj = JSON.parse(j.stdout) as { error: { message: string; kind: string; exitCode: number } };
      assert.match(obj.error.message, pattern);
      assert.equal(obj.error.exitCode, 2);
    });
  }
});

describe('bad files exit 1 with one line naming the file', () => {
  test('model files: missing, a folder, NaN scale (inspect and verify)', async () => {
    assertUserError(await cli(['inspect', join(root, 'none.tflite')]), 1, /none\.tflite: no such file/, 'missing', assert);
    assertUserError(await cli(['inspect', root]), 1, /is a folder, expected a file/, 'folder', assert);
    assertUserError(
      await cli(['inspect', badScale]),
      1,
      /nan-scale\.tflite: not a valid pqk TFLite model: .*scale\[0\] is NaN; a scale must be positive and finite/,
      'NaN inspect',
      assert,
    );
    const v = await cli(['verify', badScale, '--data', data, '--runtime', 'tflite', '--json']);
    assertUserError(v, 1, /nan-scale\.tflite: .*scale\[0\] is NaN/, 'NaN verify', assert);
    assert.equal((JSON.parse(v.stdout) as { error: { kind: string } }).error.kind, 'model');
  });

  test('split lists naming missing files, paths outside the set or no clips at all are refused', async () => {
    const other = makeTinySet();
    rmSync(join(other, 'testing_list.txt'));
    writeFileSync(join(other, 'testing_list.txt'), 'yes/nobody_nohash_0.wav\n');
    assertUserError(
      await cli(['verify', model, '--data', other]),
      1,
      /testing_list\.txt: 1 of 1 entries name no clip of the dataset \(line 1 'yes\/nobody_nohash_0\.wav'\)/,
      'list entry',
      assert,
    );
    writeFileSync(join(other, 'testing_list.txt'), '../../etc/passwd\n');
    assertUserError(
      await cli(['verify', model, '--data', other]),
      1,
      /entries name no clip of the dataset \(line 1 '\.\.\/\.\.\/etc\/passwd'\)/,
      'escape',
      assert,
    );
    writeFileSync(join(other, 'testing_list.txt'), '');
    assertUserError(
      await cli(['verify', model, '--data', other]),
      1,
      /the test split has no keyword clips: testing_list\.txt names no keyword clip/,
      'empty test',
      assert,
    );
  });

  test('dataset clips: a folder named .wav, a zero-sample WAV', async () => {
    const d = makeTinySet();
    mkdirSync(join(d, 'yes', 'odd.wav'));
    assertUserError(
      await cli(['data', 'info', d, '--no-cache']),
      1,
      /yes\/odd\.wav: is a folder, expected a WAV file/,
      'folder .wav',
      assert,
    );
    const e = makeTinySet();
    // One zero-sample clip in 130 is skipped with a warning (it is within the 1% of unreadable clips allowed)...
    writeFileSync(join(e, 'yes', 'spk5_nohash_0.wav'), encodeWav(new Int16Array(0), 16000));
    const r = await cli(['data', 'info', e, '--no-cache', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /skipping unreadable clip .*spk5_nohash_0\.wav: has no samples/);
  });

  test('config files: typos, wrong types and impossible values are refused before any work', async () => {
    const cases: [unknown, RegExp][] = [
      [{ phase2: { tua: 2 } }, /\/phase2 has unknown field 'tua'; did you mean 'tau'\?/],
      [{ float: { epochs: 'many' } }, /\/float\/epochs must be integer/],
      [{ float: { epochs: 0 } }, /\/float\/epochs must be >= 1/],
      [{ phase1: { sparsity: 1.5 } }, /\/phase1\/sparsity must be <= 0\.99/],
      [{ phase1: { pattern: '3:7' } }, /\/phase1\/pattern must be one of \["unstructured","2:4","1:4","channel"\]/],
      [{ phase1: { lr: -0.1 } }, /\/phase1\/lr must be > 0/],
      [{ phase2: { mutualEpochs: 1e9 } }, /\/phase2\/mutualEpochs must be <= 10000/],
      [{ epochs: 3 }, /\/ has unknown field 'epochs'; valid: /],
      [{ phase2: { batchSize: 0 } }, /\/phase2\/batchSize must be >= 1/],
      [{ augment: { spead: [0.9, 1.1] } }, /\/augment has unknown field 'spead'; did you mean 'speed'\?/],
      [{ augment: { speed: [0.9] } }, /\/augment\/speed must NOT have fewer than 2 items/],
      [{ augment: { bandLimitProb: 2 } }, /\/augment\/bandLimitProb must be <= 1/],
    ];
    for (const [value, pattern] of cases) {
      const file = config('cfg', value);
      const r = await cli(['run', '--config', file, '--out', join(root, 'never')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cfg\.json: /);
      assert.match(r.stderr, pattern, JSON.stringify(value));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
      assert.ok(!existsSync(join(root, 'never')), 'nothing was started');
    }
    const notJson = join(root, 'broken.json');
    writeFileSync(notJson, '{"float": ');
    assertUserError(await cli(['run', '--config', notJson]), 1, /broken\.json: not valid JSON/, 'not JSON', assert);
  });

  test('a target naming an unknown runtime is refused when it is loaded, not after training', async () => {
    const file = target('m99-board', (t) => (t.runtimes = ['tflite', 'qemu:cortex-m99']));
    assertUserError(
      await cli(['run', '--target', file, '--out', join(root, 'never')]),
      1,
      /m99-board\.json: \/runtimes\/1 'qemu:cortex-m99' is not a runtime pqk knows; did you mean 'qemu:cortex-m[47]'\?/,
      'runtime',
      assert,
    );
  });

  test('export to a folder: a clear error and no temporary file left behind', async () => {
    const run = join(root, 'run-x');
    mkdirSync(join(run, 'checkpoints'), { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ model: 'ds-cnn', data }));
    const outDir = join(root, 'out-folder');
    mkdirSync(outDir);
    const r = await cli(['export', '--run', run, '--out', outDir, '--backend', 'cpu']);
    assertUserError(r, 1, /no compressed model yet; run 'pqk compress --run .*run-x --target T --phase 1' first/, 'no model', assert);
    assert.deepEqual(
      readdirSync(root).filter((f) => f.includes('.tmp')),
      [],
    );
  });

  test('a corrupt checkpoint names the files to remove and the command that trains that stage again', async () => {
    const run = join(root, 'run-corrupt');
    const ck = join(run, 'checkpoints');
    mkdirSync(ck, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ model: 'ds-cnn', data }));
    writeFileSync(join(ck, 'phase1.bin'), Buffer.alloc(64));
    writeFileSync(
      join(ck, 'phase1.json'),
      JSON.stringify({
        format: 'pqk-checkpoint-1',
        stage: 'phase1',
        spec: {},
        tensors: [],
        optimizer: [],
        data: 'phase1.bin',
        sha256: '0'.repeat(64),
        state: {},
      }),
    );
    const r = await cli(['export', '--run', run, '--out', join(root, 'm.tflite'), '--backend', 'cpu']);
    assertUserError(
      r,
      1,
      /phase1\.bin: checksum mismatch \(corrupt checkpoint\)\. Remove checkpoints\/phase1\.json and checkpoints\/phase1\.bin in .*run-corrupt and rerun pqk compress --run .*run-corrupt --phase 1/,
      'corrupt',
      assert,
    );
  });

  test('run.json with a typo, and --from a run of another model', async () => {
    const run = join(root, 'run-typo');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ model: 'ds-cnn', data, phase1: { sparsty: 0.5 } }));
    assertUserError(
      await cli(['compress', '--run', run]),
      1,
      /run\.json: \/phase1 has unknown field 'sparsty'; did you mean 'sparsity'\?/,
      'run.json typo',
      assert,
    );
    const from = join(root, 'run-from');
    mkdirSync(join(from, 'checkpoints'), { recursive: true });
    writeFileSync(join(from, 'run.json'), JSON.stringify({ model: 'ds-cnn', data }));
    assertUserError(
      await cli(['run', '--from', from, '--model', 'mlp', '--out', join(root, 'never')]),
      1,
      /--from .*run-from holds a 'ds-cnn' model, not 'mlp'/,
      'from model',
      assert,
    );
    assertUserError(
      await cli(['compress', '--run', join(root, 'nowhere')]),
      1,
      /nowhere is not a pqk run folder \(no run\.json\)/,
      'no run',
      assert,
    );
  });
});

describe('run folders', () => {
  test('a folder in use by a live process is refused with its PID; a stale lock is taken over', async () => {
    const run = join(root, 'run-locked');
    mkdirSync(run, { recursive: true });
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(join(run, '.pqk.lock'), JSON.stringify({ pid: sleeper.pid, command: 'run', since: '2026-01-01T00:00:00Z' }));
      const r = await cli(['train', '--data', data, '--out', run, '--epochs', '1', '--backend', 'cpu']);
      assertUserError(
        r,
        1,
        new RegExp(`run-locked is in use by PID ${sleeper.pid} \\(pqk run, since 2026-01-01T00:00:00Z\\)`),
        'locked',
        assert,
      );
    } finally {
      sleeper.kill();
    }
    // The sleeper is gone: its lock is stale and taken over; released, the file is removed.
    await new Promise((r) => sleeper.once('exit', r));
    const release = lockRunDir(run, 'test');
    assert.equal((JSON.parse(readFileSync(join(run, '.pqk.lock'), 'utf8')) as { pid: number }).pid, process.pid);
    release();
    assert.ok(!existsSync(join(run, '.pqk.lock')));
  });

  test("train --config: the file's float and augment settings where no flag gives them; another augment is refused", async () => {
    const run = join(root, 'run-config');
    const file = config('train-cfg', { float: { epochs: 1, batchSize: 16 }, augment: { speed: [1.2, 1.2] }, phase1: { rounds: 2 } });
    const r = await cli(['train', '--data', data, '--out', run, '--config', file, '--batch', '8', '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const stored = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, any>;
    assert.deepEqual([stored.float.epochs, stored.float.batchSize], [1, 8]);
    assert.deepEqual(stored.augment, { speed: [1.2, 1.2] });
    assert.equal(stored.phase1.rounds, 2);
    const other = config('train-cfg2', { float: { epochs: 1, batchSize: 16 }, augment: { speed: [0.9, 0.9] } });
    const again = await cli(['train', '--data', data, '--out', run, '--config', other, '--batch', '8', '--backend', 'cpu']);
    assertUserError(
      again,
      1,
      /holds a run made with other settings \(augment\.speed: \[1\.2,1\.2\] there, \[0\.9,0\.9\] now\)/,
      'augment',
      assert,
    );
    // Refused before its data loads: another data folder that does not exist is named as a setting, not loaded.
    const elsewhere = await cli(['train', '--data', join(root, 'no-such-set'), '--out', run, '--config', file, '--batch', '8']);
    assertUserError(elsewhere, 1, /holds a run made with other settings \(data: ".*" there, ".*no-such-set" now\)/, 'data', assert);
  });

  test('a folder made for int8 is refused for an int4 target, naming the difference', async () => {
    const run = join(root, 'run-int8');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ model: 'ds-cnn', data, target: 'cortex-m4' }));
    const first = await cli(['compress', '--run', run, '--target', 'cortex-m4', '--phase', '2', '--backend', 'cpu']);
    assertUserError(first, 1, /stage 'phase1' has not finished yet/, 'phase 2 first', assert);
    const r = await cli(['compress', '--run', run, '--target', 'cortex-m4-int4', '--phase', '2', '--backend', 'cpu']);
    assertUserError(
      r,
      1,
      /run-int8 holds a run made with other settings \(quantization\.weightBits: 8 there, 4 now; scheme\.weightBits: 8 there, 4 now\)/,
      'int4 on int8',
      assert,
    );
  });
});

describe('help', () => {
  test('every command explains each flag with its default, the exit codes and an example', async () => {
    for (const args of [
      ['help'],
      ['--help'],
      ['data', '--help'],
      ['bench', '--help'],
      ['help', 'run'],
      ['run', '--help'],
      ['verify', '--help'],
      ['data', 'synth-kws', '--help'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /usage: pqk/);
    }
    const run = await cli(['run', '--help']);
    assert.match(run.stdout, /--verify-limit N +verify on the first N test samples only \(N >= 1\) \(default: the whole test split\)/);
    assert.match(run.stdout, /exit codes: 0 success; 1 error .*; 2 usage .*; 3 a budget failed/);
    assert.match(run.stdout, /examples:\n {2}pqk run\n/);
    assert.match((await cli(['data', '--help'])).stdout, /data synth-kws .*\n {2}data info /);
    assert.match((await cli(['bench', '--help'])).stdout, /bench train/);
  });
});
