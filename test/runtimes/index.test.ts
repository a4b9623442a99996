// The runtime registry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getRuntime, runtimeNames } from '../../src/runtimes/index.js';

describe('runtime registry', () => {
  it('makes each known runtime under its own name', () => {
    assert.deepEqual(runtimeNames(), [
      'tflite',
      'litert',
      'arm64',
      'qemu:cortex-m4',
      'qemu:cortex-m7',
      'qemu:cortex-m33',
      'qemu:cortex-m55',
    ]);
    for (const name of runtimeNames()) assert.equal(getRuntime(name).name, name);
  });

  it('takes an emulated core after arm64:', () => {
    assert.equal(getRuntime('arm64:cortex-a76').name, 'arm64:cortex-a76');
  });

  it('names the known runtimes when asked for an unknown one', () => {
    assert.throws(
      () => getRuntime('tfl1te'),
      /unknown runtime 'tfl1te' \(known: tflite, litert, arm64, qemu:cortex-m4, qemu:cortex-m7, qemu:cortex-m33, qemu:cortex-m55, arm64:<cpu>\)/,
    );
    assert.throws(() => getRuntime('arm64:'), /unknown runtime 'arm64:'/);
  });
});
