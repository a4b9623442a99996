// The instruction-counting QEMU plugin counts exactly: a loop of known length, run under qemu-aarch64, must give
// its exact instruction count between two markers, the same on every run.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { INSN_LIMIT_EXIT, insnCountPluginArg, markerIntervals, parseAddr, parseInsnCounts } from '../../src/runtimes/insncount.js';
import { buildNative } from './build.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-insncount-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function buildLoop(iters: number): Promise<{ exe: string; begin: number; end: number }> {
  const exe = join(dir, `loop${iters}`);
  await execa('aarch64-linux-gnu-gcc', ['-nostdlib', '-static', `-DITERS=${iters}`, '-o', exe, 'test/runtimes/fixtures/loop.S']);
  const { stdout } = await execa('aarch64-linux-gnu-nm', [exe]);
  const sym = (name: string) =>
    parseAddr(
      stdout
        .split('\n')
        .find((l) => l.endsWith(` ${name}`))!
        .split(' ')[0],
    );
  return { exe, begin: sym('marker_begin'), end: sym('marker_end') };
}

async function countLoop(iters: number, run: number): Promise<string> {
  const { exe, begin, end } = await buildLoop(iters);
  const out = join(dir, `counts-${iters}-${run}.txt`);
  await execa('qemu-aarch64', ['-plugin', insnCountPluginArg([begin, end], out), exe]);
  return readFileSync(out, 'utf8');
}

describe('insncount plugin', () => {
  before(buildNative);

  it('counts 2 + 4 * N instructions between the markers, and 1 before the first', async () => {
    for (const n of [1000, 60000]) {
      const text = await countLoop(n, 0);
      const { begin, end } = await buildLoop(n);
      const hits = parseInsnCounts(text);
      assert.deepEqual(
        hits.map((h) => h.addr),
        [begin, end],
      );
      assert.equal(hits[0].count, 1);
      assert.deepEqual(markerIntervals(hits, begin, end), [2 + 4 * n]);
    }
  });

  it('gives identical counts on repeated runs', async () => {
    const a = await countLoop(5000, 1);
    const b = await countLoop(5000, 2);
    assert.equal(a, b);
    // The end marker sees 1 instruction before the begin marker plus 2 + 4 * 5000 between them.
    assert.match(a, /^0x[0-9a-f]+ 1\n0x[0-9a-f]+ 20003\n$/);
  });

  it('counts exactly on an emulated Cortex-M4 with -icount shift=0, Thumb function addresses accepted', async () => {
    const elf = join(dir, 'loop-m4.elf');
    const cc = ['-nostdlib', '-mcpu=cortex-m4', '-mthumb', '-Ttext=0x0', '-Wl,-ereset', '-DITERS=3000'];
    await execa('arm-none-eabi-gcc', [...cc, '-o', elf, 'test/runtimes/fixtures/loop-m4.S']);
    const { stdout } = await execa('arm-none-eabi-nm', [elf]);
    const sym = (name: string) =>
      parseAddr(
        stdout
          .split('\n')
          .find((l) => l.endsWith(` ${name}`))!
          .split(' ')[0],
      );
    const [begin, end] = [sym('marker_begin') | 1, sym('marker_end')]; // begin given with the Thumb bit set
    const out = join(dir, 'counts-m4.txt');
    const qemu = ['-M', 'mps2-an386', '-nographic', '-semihosting', '-icount', 'shift=0', '-kernel', elf];
    await execa('qemu-system-arm', [...qemu, '-plugin', insnCountPluginArg([begin, end], out, 1e6)]);
    const hits = parseInsnCounts(readFileSync(out, 'utf8'));
    assert.deepEqual(
      hits.map((h) => h.addr),
      [begin, end],
    );
    assert.deepEqual(markerIntervals(hits, begin, end), [2 + 4 * 3000]);
  });

  it('bounds the work by instructions between markers: past limit= QEMU exits 3, below it counts are unchanged', async () => {
    const { exe, begin, end } = await buildLoop(60000); // 2 + 4 * 60000 = 240,002 instructions between the markers
    const over = await execa('qemu-aarch64', ['-plugin', insnCountPluginArg([begin, end], join(dir, 'limit-over.txt'), 100000), exe], {
      reject: false,
    });
    assert.equal(over.exitCode, INSN_LIMIT_EXIT);
    assert.match(over.stderr, /insncount: instruction limit: more than 100000 instructions without reaching a marker/);
    const under = join(dir, 'limit-under.txt');
    await execa('qemu-aarch64', ['-plugin', insnCountPluginArg([begin, end], under, 300000), exe]);
    assert.deepEqual(markerIntervals(parseInsnCounts(readFileSync(under, 'utf8')), begin, end), [240002]);
    const bad = await execa('qemu-aarch64', ['-plugin', `${insnCountPluginArg([begin], join(dir, 'y.txt'))},limit=abc`, exe], {
      reject: false,
    });
    assert.match(bad.stderr, /insncount: bad limit: 'limit=abc'/);
  });

  it('refuses unknown arguments', async () => {
    const { exe } = await buildLoop(10);
    const r = await execa('qemu-aarch64', ['-plugin', `${insnCountPluginArg([0x1000], join(dir, 'x.txt'))},bogus=1`, exe], {
      reject: false,
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /insncount: unknown argument 'bogus=1'/);
  });
});

describe('insncount output parsing', () => {
  it('pairs begin and end hits into intervals', () => {
    const hits = parseInsnCounts('0x10 5\n0x20 105\n0x10 200\n0x20 230\n');
    assert.deepEqual(markerIntervals(hits, 0x10, 0x20), [100, 30]);
  });

  it('rejects malformed lines and unpaired markers', () => {
    assert.throws(() => parseInsnCounts('0x10 five\n'), /line 1 is not/);
    assert.throws(() => markerIntervals(parseInsnCounts('0x20 5\n'), 0x10, 0x20), /hit before/);
    assert.throws(() => markerIntervals(parseInsnCounts('0x10 5\n0x10 6\n'), 0x10, 0x20), /hit twice/);
  });
});
