// A native kernel that cannot allocate its work buffer throws a JS error naming the kernel; it never writes through
// NULL or returns a half-computed tensor (PQK_NATIVE_FAIL_ALLOC=1 makes every work buffer fail).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const script = `
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './src/backend/select.ts';
await initBackend('native');
const x = tf.ones([2, 8, 8, 3]), w = tf.ones([3, 3, 3, 4]);
for (const [name, f] of [
  ['conv', () => tf.grad((k) => tf.sum(tf.conv2d(x, k, 1, 'same')))(w)],
  ['pool', () => tf.maxPool(x, 2, 2, 'valid')],
  ['reduce', () => tf.sum(x, [1, 2])],
]) {
  try { f().dataSync(); console.log(name + ': no error'); } catch (e) { console.log(name + ': ' + e.message); }
}
`;

test('out of memory for a work buffer is an error naming the kernel, in conv, pool and reduce', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PQK_NATIVE_FAIL_ALLOC: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^conv: conv: out of memory for a work buffer$/m);
  assert.match(r.stdout, /^pool: pool: out of memory for a work buffer$/m);
  assert.match(r.stdout, /^reduce: reduce: out of memory for a work buffer$/m);
});
