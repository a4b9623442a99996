// Backend selection: the fastest available backend wins, every skipped one says why, and --backend is obeyed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, getKernelsForBackend } from '@tensorflow/tfjs-core';
import { CANDIDATES, initBackend, linuxGpuNodes, webgpuAdapter, type Candidate } from '../../src/backend/select.js';
import { nativeKernelNames } from '../../src/backend/native.js';
import { UserError } from '../../src/cli/command.js';

describe('initBackend', () => {
  it('auto-selection: webgpu on a GPU, native, cpu, in that order; tfjs-node, wasm and a software adapter only when asked for', async () => {
    const started: string[] = [];
    const fake = (name: string, ok: boolean, extra: Partial<Candidate> = {}): Candidate => ({
      name,
      auto: true,
      attempt: async () => {
        started.push(name);
        return ok ? { ok: true, why: `${name} ran`, backend: 'cpu' } : { ok: false, why: `${name} broke` };
      },
      ...extra,
    });
    const list = (gpu: string | undefined, nativeOk: boolean) => [
      fake('tfjs-node-gpu', true, { auto: false }),
      fake('webgpu', true, { veto: async () => gpu }),
      fake('native', nativeOk),
      fake('cpu', true),
      fake('wasm', true, { auto: false }),
    ];
    let c = await initBackend(undefined, list(undefined, true));
    assert.deepEqual([c.tried.map((t) => t.name), started], [['webgpu'], ['webgpu']]);
    assert.match(c.reason, /^webgpu is the best available \(webgpu ran\)$/);
    started.length = 0;
    c = await initBackend(undefined, list('only a software adapter', true));
    assert.deepEqual(started, ['native'], 'a vetoed backend is not started');
    assert.deepEqual(
      c.tried.map((t) => [t.name, t.ok]),
      [
        ['webgpu', false],
        ['native', true],
      ],
    );
    assert.match(c.reason, /skipped webgpu: only a software adapter/);
    started.length = 0;
    c = await initBackend(undefined, list('no adapter', false));
    assert.deepEqual(started, ['native', 'cpu'], 'never wasm nor tfjs-node-gpu');
    assert.match(c.reason, /^cpu is the best available .*native: native broke/);
    started.length = 0;
    c = await initBackend('wasm', list(undefined, true));
    assert.deepEqual(started, ['wasm'], '--backend starts exactly the one named, vetoes aside');
    assert.equal(
      CANDIDATES.filter((k) => k.auto)
        .map((k) => k.name)
        .join(),
      'webgpu,native,cpu',
    );
  });

  it('here: native, with webgpu passed over because its only adapter is software (or absent) and the others never tried', async () => {
    const choice = await initBackend();
    assert.equal(choice.name, 'native');
    assert.equal(tf.getBackend(), 'native');
    assert.deepEqual(
      choice.tried.map((t) => [t.name, t.ok]),
      [
        ['webgpu', false],
        ['native', true],
      ],
    );
    if (linuxGpuNodes()?.length === 0) assert.match(choice.tried[0]!.why, /^no GPU device on this machine/);
    else {
      const adapter = await webgpuAdapter();
      if (typeof adapter !== 'string') {
        assert.equal(adapter.software, true, 'this machine has no GPU');
        assert.match(choice.tried[0]!.why, /only a software adapter: .*, driver /);
      }
    }
  });

  it('native has every cpu kernel, with the training hot spots replaced by C ones', async () => {
    await initBackend('native');
    const own = nativeKernelNames();
    const hot = [
      'Conv2D',
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNative',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'FusedConv2D',
      'FusedDepthwiseConv2D',
      'BatchMatMul',
      '_FusedMatMul',
      'AvgPoolGrad',
      'MaxPoolGrad',
      'Round',
      'ClipByValue',
      'PadV2',
      'Slice',
      'Maximum',
      'Minimum',
      'Floor',
      'Sum',
      'Mean',
      'Multiply',
      'FusedBatchNorm',
    ];
    for (const k of hot) assert.ok(own.includes(k), `${k} is a native kernel`);
    for (const k of getKernelsForBackend('cpu')) {
      const n = getKernel(k.kernelName, 'native');
      assert.ok(n, `${k.kernelName} registered on native`);
      assert.equal(n.kernelFunc === k.kernelFunc, !own.includes(k.kernelName), `${k.kernelName}: native iff listed`);
    }
  });

  it('starts a requested backend, and rejects one that cannot start with a UserError naming the flag', async () => {
    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    await assert.rejects(
      initBackend('tfjs-node-gpu'),
      (e: unknown) => e instanceof UserError && /--backend tfjs-node-gpu: cannot start/.test(e.message),
    );
    await assert.rejects(initBackend('tpu'), (e: unknown) => e instanceof UserError && /unknown backend/.test(e.message));
    assert.equal((await initBackend('native')).name, 'native');
  });

  it('falls through to cpu (which trains; wasm lacks gradient kernels), saying why, when the addon cannot be loaded', () => {
    const script = "const { initBackend } = await import('./src/backend/select.ts'); console.log(JSON.stringify(await initBackend()));";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, PQK_NATIVE_ADDON: '/nonexistent/pqk_native.node' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const choice = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; tried: { name: string; ok: boolean; why: string }[] };
    assert.equal(choice.name, 'cpu');
    assert.ok(!choice.tried.some((t) => t.name === 'wasm'), 'wasm is never tried before cpu');
    const native = choice.tried.find((t) => t.name === 'native')!;
    assert.equal(native.ok, false);
    assert.match(native.why, /\/nonexistent\/pqk_native\.node is not built/);
  });
});
