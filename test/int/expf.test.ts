// expf against the C library's expf (the one TFLite's softmax table calls), over a sweep of float32 bit patterns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expf } from '../../src/int/expf.js';
import { softmaxTable } from '../../src/int/softmax.js';

const STRIDE = 997;
const C_SOURCE = `
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static void emit(uint32_t u) { float x, y; memcpy(&x, &u, 4); y = expf(x); fwrite(&y, 4, 1, stdout); }
int main(void) {
  for (uint32_t k = 0; k <= 0x42d00000u; k += ${STRIDE}) emit(0x80000000u | k); /* -0 .. -104 */
  for (uint32_t k = 0; k <= 0x42b20000u; k += ${STRIDE}) emit(k); /* 0 .. 89 */
  return 0;
}
`;

test("expf equals the C library's expf bit for bit", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-expf-'));
  writeFileSync(join(dir, 'expf.c'), C_SOURCE);
  await execa('cc', ['-O1', '-o', join(dir, 'expf'), join(dir, 'expf.c'), '-lm']);
  const { stdout } = await execa(join(dir, 'expf'), { encoding: 'buffer' });
  const theirs = new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  let i = 0;
  let bad = 0;
  const check = (u: number): void => {
    bits[0] = u;
    const mine = expf(asFloat[0]);
    if (!Object.is(mine, theirs[i]) && bad++ < 5) console.log(`expf(${asFloat[0]}): ${mine} vs ${theirs[i]}`);
    i++;
  };
  for (let k = 0; k <= 0x42d00000; k += STRIDE) check((0x80000000 | k) >>> 0);
  for (let k = 0; k <= 0x42b20000; k += STRIDE) check(k);
  assert.equal(i, theirs.length);
  assert.equal(bad, 0);
});

test('softmax table holds expf(-s_in * beta * v) at 255 - v', () => {
  const t = softmaxTable(0.1, 1);
  assert.equal(t[255], 1);
  assert.equal(t[254], expf(Math.fround(-Math.fround(0.1))));
  assert.ok(Math.abs(t[0] - Math.exp(-25.5)) < 1e-6 * Math.exp(-25.5));
});
