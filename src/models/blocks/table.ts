// Every block kind's descriptor. TypeScript refuses the table until each kind of models/spec.ts's NodeSpec has one.
// Built on first use: block files import the QAT and conversion helpers, which import the spec module, which reads
// this table, so nothing here may run while those modules load.
import type { NodeSpec, WeightNodeSpec } from '../spec.js';
import { activation } from './activation.js';
import { add } from './add.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { dense } from './dense.js';
import { depthwise } from './depthwise.js';
import type { BlockDescriptor, BlockKind, WeightBlock } from './descriptor.js';
import { expand } from './expand.js';
import { flatten } from './flatten.js';
import { mul } from './mul.js';
import { pad } from './pad.js';
import { pools } from './pool.js';
import { requantize } from './requantize.js';

type Table = { [K in BlockKind]: BlockDescriptor<K> };
let table: Table | undefined;

function build(): Table {
  const list = [conv, depthwise, dense, pools, add, mul, concat, activation, pad, flatten, expand, requantize] as BlockDescriptor[];
  const t: Partial<Record<BlockKind, BlockDescriptor>> = {};
  for (const d of list) for (const k of d.kinds) t[k] = d;
  return t as Table;
}

export function blocks(): Table {
  return (table ??= build());
}

// The descriptor of a block.
export function blockOf(n: NodeSpec): BlockDescriptor {
  const d = (blocks() as Partial<Record<BlockKind, unknown>>)[n.kind];
  if (!d) throw new Error(`block '${n.name}' has unknown kind '${String(n.kind)}'`);
  return d as BlockDescriptor;
}

// The kernel of a weight block.
export function weightsOf(n: WeightNodeSpec): WeightBlock<WeightNodeSpec['kind']> {
  return blockOf(n).weights as unknown as WeightBlock<WeightNodeSpec['kind']>;
}
