// The native backend recycles tensor memory, but never memory a caller still sees (dataSync) or a view still uses.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BufferPool } from '../../src/backend/buffer-pool.js';
import { rand, setupBackends } from './compare.js';
import { useBackend } from './use-backend.js';

describe('buffer pool', () => {
  before(setupBackends);

  it('reuses a released buffer only when no holder is left and it never escaped', () => {
    const pool = new BufferPool();
    const a = pool.take(8192);
    pool.hold(a);
    pool.hold(a.subarray(10, 20)); // a view held by a second tensor
    pool.release(a);
    assert.notEqual(pool.take(8192), a, 'still held by the view');
    pool.release(a);
    assert.equal(pool.take(8192), a, 'free once both holders are gone');
    const b = pool.take(8192);
    pool.hold(b);
    pool.escape(b);
    pool.release(b);
    assert.notEqual(pool.take(8192), b, 'escaped buffers stay with their reader');
  });

  it('dataSync results and slices survive the disposal of their tensors on the native backend', () => {
    useBackend('native');
    const x = tf.add(rand([64, 128], 1), 1);
    const seen = x.dataSync();
    const copy = Float32Array.from(seen);
    const src = tf.mul(x, 2);
    const view = tf.slice(src, [10, 0], [4, 128]);
    const viewCopy = Float32Array.from(tf.mul(view, 1).dataSync());
    tf.dispose([x, src]);
    for (let i = 0; i < 5; i++) tf.dispose(tf.mul(tf.add(rand([64, 128], 2 + i), 3), 7));
    assert.deepEqual(seen, copy);
    assert.deepEqual(view.dataSync(), viewCopy);
    view.dispose();
  });
});
