// The GraphDef of a tfjs graph model as plain data: nodes, their data inputs, attribute readers (TensorFlow's
// JSON AttrValue: strings base64-encoded, integers as decimal strings), and constants from the weights manifest.
import { UserError } from '../errors.js';
import type { HostTensor } from './prims.js';

interface AttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
}

export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export type ConstValue = { data: Float32Array | Int32Array; shape: number[] };

export class Node {
  readonly inputs: string[]; // data inputs, ':0' stripped, control inputs ('^x') left out
  readonly source: string;

  constructor(readonly def: GraphNode) {
    this.source = `node ${def.name} (${def.op})`;
    this.inputs = (def.input ?? []).filter((i) => !i.startsWith('^')).map((i) => this.tensorName(i));
  }

  get name(): string {
    return this.def.name;
  }

  get op(): string {
    return this.def.op;
  }

  private tensorName(ref: string): string {
    const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
    if (m[2] !== undefined && m[2] !== '0')
      throw new UserError(`${this.source}: reads output ${m[2]} of '${m[1]}'; only a node's first output is supported`);
    return m[1];
  }

  private attr(key: string): AttrValue | undefined {
    return this.def.attr?.[key];
  }

  str(key: string, fallback?: string): string {
    const v = this.attr(key)?.s;
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new UserError(`${this.source}: attribute '${key}' missing`);
    }
    return Buffer.from(v, 'base64').toString('utf8');
  }

  strs(key: string): string[] {
    return (this.attr(key)?.list?.s ?? []).map((v) => Buffer.from(v, 'base64').toString('utf8'));
  }

  ints(key: string, fallback: number[]): number[] {
    const l = this.attr(key)?.list?.i;
    return l ? l.map(Number) : fallback;
  }

  bool(key: string): boolean {
    return this.attr(key)?.b === true;
  }

  float(key: string, fallback: number): number {
    const f = this.attr(key)?.f;
    return typeof f === 'number' ? f : fallback;
  }

  shape(key: string): number[] | undefined {
    const s = this.attr(key)?.shape;
    if (!s || s.unknownRank) return undefined;
    return (s.dim ?? []).map((d) => Number(d.size));
  }
}

export class GraphDef {
  readonly nodes: Node[];
  readonly byName = new Map<string, Node>();

  constructor(
    defs: GraphNode[],
    private readonly consts: Map<string, ConstValue>,
  ) {
    this.nodes = defs.map((d) => new Node(d));
    for (const n of this.nodes) this.byName.set(n.name, n);
  }

  isConst(name: string): boolean {
    return (
      this.byName.get(name)?.op === 'Const' || (this.byName.get(name)?.op === 'Identity' && this.isConst(this.byName.get(name)!.inputs[0]))
    );
  }

  // A constant input (through Identity nodes) by name, as read by `reader`.
  constant(name: string, reader: Node): ConstValue {
    const n = this.byName.get(name);
    if (n?.op === 'Identity') return this.constant(n.inputs[0], reader);
    const v = this.consts.get(name);
    if (n?.op !== 'Const' || !v) throw new UserError(`${reader.source}: input '${name}' must be a constant from the weights manifest`);
    return v;
  }

  floats(name: string, reader: Node): HostTensor {
    const c = this.constant(name, reader);
    return { data: Float32Array.from(c.data), shape: c.shape };
  }

  // Non-constant nodes in an order where every node comes after its inputs.
  ordered(): Node[] {
    const out: Node[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (n: Node): void => {
      if (state.get(n.name) === 'done' || this.isConst(n.name)) return;
      if (state.get(n.name) === 'visiting') throw new UserError(`${n.source}: the graph has a cycle`);
      state.set(n.name, 'visiting');
      for (const i of n.inputs) {
        const src = this.byName.get(i);
        if (!src) throw new UserError(`${n.source}: input '${i}' is not a node of the graph`);
        visit(src);
      }
      state.set(n.name, 'done');
      out.push(n);
    };
    for (const n of this.nodes) visit(n);
    return out;
  }
}
