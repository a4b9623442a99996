// The native backend's sums do not depend on the number of threads: the filter gradients of conv and depthwise conv,
// batch norm's statistics and gradients, and reductions over a batch are summed in fixed slots (native/src/parallel.c)
// whatever OMP_NUM_THREADS is, so a seed trains to the same weights on 1 core or 16. And OpenBLAS runs one set of
// kernels on every x86-64 CPU with AVX2 and FMA (blasCoreType).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blasCoreType, cpuFlags } from '../../src/backend/addon.js';

// Random inputs from a fixed seed (float sums of them round differently in any other order), then the gradients of
// a conv + batch norm + depthwise conv + batch norm stack and a sum over the batch; prints a digest of every value.
const script = `
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { initBackend } from './src/backend/select.ts';
import { batchNormTraining } from './src/backend/bn-train.ts';
await initBackend('native');
let s = 7;
const rnd = (shape) => {
  const n = shape.reduce((a, b) => a * b, 1), v = new Float32Array(n);
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; v[i] = s / 2 ** 31 - 1; }
  return tf.tensor(v, shape);
};
const x = rnd([48, 25, 5, 8]), w = rnd([3, 3, 8, 16]), dw = rnd([3, 3, 16, 1]);
const g1 = rnd([16]), b1 = rnd([16]);
const loss = (w, dw, g1, b1) => {
  const a = batchNormTraining(tf.conv2d(x, w, 1, 'same'), g1, b1, 1e-3, true).y;
  const d = tf.depthwiseConv2d(a, dw, 1, 'same');
  return tf.sum(tf.mul(d, tf.sin(d)));
};
const grads = tf.grads(loss)([w, dw, g1, b1]);
const outs = [...grads, tf.sum(x, 0), tf.mean(x, [0, 1])];
const h = createHash('sha256');
let nonzero = 0;
for (const t of outs) { const v = t.dataSync(); nonzero += v.filter((e) => e !== 0).length; h.update(Buffer.from(v.buffer, v.byteOffset, v.byteLength)); }
console.log(JSON.stringify({ digest: h.digest('hex'), nonzero, threads: Number(process.env.OMP_NUM_THREADS) }));
`;

test('gradients and batch sums are the same bytes on 1, 2, 3 and 5 threads', () => {
  const runs = [1, 2, 3, 5].map((threads) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { digest: string; nonzero: number; threads: number };
  });
  assert.ok(runs[0]!.nonzero > 1000, `only ${runs[0]!.nonzero} nonzero values`);
  for (const r of runs.slice(1)) assert.equal(r.digest, runs[0]!.digest, `${r.threads} threads against 1`);
});

test('OpenBLAS gets its Haswell kernels on x86-64 with AVX2 and FMA, and its own choice elsewhere', () => {
  assert.equal(blasCoreType('x64', new Set(['sse4_2', 'avx2', 'fma', 'avx512f'])), 'Haswell');
  assert.equal(blasCoreType('x64', new Set(['sse4_2', 'avx'])), undefined);
  assert.equal(blasCoreType('arm64', new Set(['avx2', 'fma'])), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'pqk-cpuinfo-'));
  const info = join(dir, 'cpuinfo');
  writeFileSync(info, 'processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n');
  assert.deepEqual([...cpuFlags(info)], ['fpu', 'sse2', 'avx2', 'fma']);
  assert.equal(cpuFlags(join(dir, 'missing')).size, 0);
});

test('loading the addon sets OPENBLAS_CORETYPE unless the user set it', () => {
  const probe = (env: NodeJS.ProcessEnv): string =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "import { loadAddon } from './src/backend/addon.ts'; loadAddon(); console.log(process.env.OPENBLAS_CORETYPE ?? '-')",
      ],
      { encoding: 'utf8', env },
    ).stdout.trim();
  const { OPENBLAS_CORETYPE: _, ...clean } = process.env;
  assert.equal(probe(clean), blasCoreType(process.arch, cpuFlags()) ?? '-');
  assert.equal(probe({ ...clean, OPENBLAS_CORETYPE: 'Sandybridge' }), 'Sandybridge');
});
