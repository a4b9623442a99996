// Runs one computation on the cpu backend and on the native backend and compares the results element by element.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '../../src/backend/gradients.js';
import { registerNativeBackend } from '../../src/backend/native.js';
import { useBackend } from './use-backend.js';

export async function setupBackends(): Promise<void> {
  await ensureGradients();
  const r = await registerNativeBackend();
  assert.ok(r.ok, `native backend unavailable: ${r.ok ? '' : r.why} (run bash native/build.sh)`);
}

// Deterministic pseudo-random values in [-1, 1) (a fixed LCG, so both backends see the same inputs).
export function rand(shape: number[], seed: number): tf.Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return tf.tensor(v, shape);
}

function run(backend: string, f: () => tf.Tensor | tf.Tensor[]): { shapes: number[][]; data: Float32Array[] } {
  useBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const r = { shapes: list.map((t) => t.shape), data: list.map((t) => Float32Array.from(t.dataSync())) };
  tf.dispose(list);
  return r;
}

// f builds its inputs itself (inside the tidy), so each backend computes from scratch.
export function assertSameOnBoth(label: string, f: () => tf.Tensor | tf.Tensor[], tol = 1e-5): void {
  const want = run('cpu', f);
  const got = run('native', f);
  assert.deepEqual(got.shapes, want.shapes, `${label}: shapes`);
  want.data.forEach((w, k) => {
    const g = got.data[k]!;
    let scale = 1;
    for (const v of w) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(w[i]!)) {
        assert.ok(Number.isNaN(g[i]!), `${label}[${k}][${i}]: want NaN, got ${g[i]}`);
        continue;
      }
      const ok = w[i] === g[i] || Math.abs(w[i]! - g[i]!) <= tol * scale;
      assert.ok(ok, `${label}[${k}][${i}]: cpu ${w[i]} native ${g[i]} (tolerance ${tol} x ${scale})`);
    }
  });
}

// Gradients of sum(f(inputs) * r) with respect to every input, r a fixed random cotangent.
export function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], seed = 99): () => tf.Tensor[] {
  return () => {
    const xs = inputs();
    const y0 = f(...xs);
    const r = rand(y0.shape, seed);
    const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), r)));
    return [y0, ...g(xs)];
  };
}
