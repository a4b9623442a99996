// expf at the inputs where glibc's FMA build (x86-64) and its plain build differ: the reference must follow the FMA
// build, as firmware-harness's expf does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expf } from '../../src/int/expf.js';

const HEX = ['0x1.04845ep+5', '-0x1.f8cbb2p+5', '-0x1.d9999ap+1', '0x1.5p-3'];

function f32bits(x: number): number {
  const d = new DataView(new ArrayBuffer(4));
  d.setFloat32(0, x);
  return d.getUint32(0);
}

test('expf equals glibc at the FMA-sensitive inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-expf-'));
  try {
    writeFileSync(
      join(dir, 'e.c'),
      `#include <math.h>\n#include <stdio.h>\n#include <string.h>\nint main(void){float xs[]={${HEX.map((h) => `${h}f`).join(',')}};for(int i=0;i<${HEX.length};i++){volatile float x=xs[i];float y=expf(x);unsigned u;memcpy(&u,&y,4);printf("%u\\n",u);}return 0;}\n`,
    );
    execFileSync('cc', ['-O0', join(dir, 'e.c'), '-o', join(dir, 'e'), '-lm']);
    const want = execFileSync(join(dir, 'e'), { encoding: 'utf8' }).trim().split('\n').map(Number);
    HEX.forEach((h, i) => {
      const m = /^(-?)0x1\.([0-9a-f]+)p([+-]\d+)$/.exec(h)!;
      const x = (m[1] ? -1 : 1) * (1 + parseInt(m[2], 16) / 16 ** m[2].length) * 2 ** Number(m[3]);
      assert.equal(f32bits(expf(x)), want[i], `expf(${h})`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
