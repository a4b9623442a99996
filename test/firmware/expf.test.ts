// SOFTMAX's table is made with expf, so bit-exact outputs need the Cortex-M expf to equal x86-64 glibc's. A firmware
// sweep of pqk_expf over 2.2 million float inputs (every 1009th bit pattern from +104 to -110) on boards with soft
// double (M4), hardware double (M7) and Helium (M55) is compared with the host C library's expf byte for byte.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { boardForCpu, firmwareDir, linkerScript } from '../../src/runtimes/qemu-boards.js';
import { qemuBoardArgs } from '../../src/runtimes/qemu-run.js';
import { buildHarness, hostBinary } from './harness.js';

const STRIDE = 1009;

before(buildHarness);

describe('pqk_expf on Cortex-M', () => {
  for (const cpu of ['cortex-m4', 'cortex-m7', 'cortex-m55'] as const) {
    it(`equals the host C library's expf on qemu:${cpu}`, async () => {
      const board = boardForCpu(cpu);
      const dir = mkdtempSync(join(tmpdir(), 'pqk-expf-'));
      try {
        const fw = firmwareDir();
        writeFileSync(join(dir, 'link.ld'), linkerScript(board, { flashBytes: board.flash.size, ramBytes: board.ram.size }, 8192));
        await execa('arm-none-eabi-gcc', [
          ...board.cflags,
          '-O2',
          '-std=c99',
          '-ffp-contract=off',
          `-I${join(fw, 'src')}`,
          join(fw, 'src', 'exp_f32.c'),
          ...['startup.c', 'semihost.c', 'expf_main.c'].map((f) => join(fw, 'firmware', f)),
          '--specs=rdimon.specs',
          '-nostartfiles',
          `-T${join(dir, 'link.ld')}`,
          '-o',
          join(dir, 'expf.elf'),
        ]);
        await execa('qemu-system-arm', [...qemuBoardArgs(board, [join(dir, 'arm.bin'), String(STRIDE)]), '-kernel', join(dir, 'expf.elf')]);
        await execa(hostBinary('pqk-micro-unit'), ['--sweep', join(dir, 'host.bin'), String(STRIDE)]);
        const arm = readFileSync(join(dir, 'arm.bin'));
        const host = readFileSync(join(dir, 'host.bin'));
        assert.equal(arm.length, host.length);
        assert.ok(arm.length > 8_000_000);
        assert.equal(Buffer.compare(arm, host), 0, 'first differing float at byte ' + arm.findIndex((b, i) => b !== host[i]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
