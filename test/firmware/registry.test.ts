// pqk micro's op table comes from the op descriptors: ops_generated.h is what scripts/gen-micro-ops.ts writes from
// them, every descriptor's `micro` kernel is defined in firmware-harness/src/kernels/ with that op's builtin code, and
// no kernel file defines a kernel the list leaves out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OP_LIST } from '../../src/ops/table.js';
import { microOpsHeader } from '../../scripts/gen-micro-ops.js';

const KERNELS = join(import.meta.dirname, '..', '..', 'firmware-harness', 'src', 'kernels');

test('ops_generated.h is what the op descriptors give (scripts/gen-micro-ops.ts)', () => {
  const have = readFileSync(join(KERNELS, 'ops_generated.h'), 'utf8');
  assert.equal(have, microOpsHeader(), 'run node --import tsx scripts/gen-micro-ops.ts');
  for (const d of OP_LIST) assert.match(have, new RegExp(`PQK_OP_${d.name} = ${d.code}\\b`));
});

test("every descriptor's C kernel is defined with its op's code, and every defined kernel is listed", () => {
  const defined = new Map<string, string>(); // symbol -> the PQK_OP_ name it registers
  for (const f of readdirSync(KERNELS).filter((x) => x.endsWith('.c'))) {
    const src = readFileSync(join(KERNELS, f), 'utf8');
    for (const m of src.matchAll(/const pqk_kernel (pqk_kernel_\w+) = \{PQK_OP_(\w+),/g)) defined.set(m[1]!, m[2]!);
  }
  const listed = OP_LIST.filter((d) => d.micro !== undefined);
  assert.ok(listed.length >= 12, `${listed.length} ops with a kernel`);
  for (const d of listed) assert.equal(defined.get(d.micro!), d.name, `${d.name}: ${d.micro} is not defined for PQK_OP_${d.name}`);
  assert.deepEqual([...defined.keys()].sort(), listed.map((d) => d.micro!).sort());
});
