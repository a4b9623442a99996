// Fusion of a primitive graph into pqk layer blocks: a conv / depthwise / matmul absorbs the bias, batch norm and
// activation that follow it (when it is their only reader), pools, adds and flattens map one to one, and a bias,
// batch norm or activation with nothing to fuse into becomes an identity depthwise (or diagonal dense) block.
import {
  deriveChannelGroups,
  inferShapes,
  keepsQuantization,
  nodeInputs,
  type ActName,
  type ModelSpec,
  type NodeSpec,
  type WeightNodeSpec,
} from '../models/spec.js';
import { absorb, type Absorbable, type Block, type BlockWeights } from './fold.js';
import { fill, primInputs, type Prim, type PrimGraph } from './prims.js';
import { UserError } from '../errors.js';

export type { BlockWeights } from './fold.js';

export interface FusedModel {
  spec: ModelSpec;
  weights: Map<string, BlockWeights>; // by weight node name
  softmax: boolean; // the original ended in softmax; the pqk model outputs its logits
}

class Fuser {
  readonly nodes: NodeSpec[] = [];
  readonly weights = new Map<string, BlockWeights>();
  private readonly alias = new Map<string, string>(); // prim tensor -> pqk tensor
  private readonly readers = new Map<string, Prim[]>();
  private readonly absorbed = new Set<string>();
  private readonly names = new Set<string>(['input']);
  private readonly lastWeightOp = new Map<string, string>(); // owner -> its last conv / depthwise / matmul
  private shapes: Map<string, number[]>;
  softmax = false;

  constructor(private readonly g: PrimGraph) {
    this.alias.set(g.input, 'input');
    for (const p of g.prims) for (const i of primInputs(p)) this.readers.set(i, [...(this.readers.get(i) ?? []), p]);
    for (const p of g.prims) if (p.op === 'conv' || p.op === 'depthwise' || p.op === 'matmul') this.lastWeightOp.set(p.owner, p.name);
    this.shapes = new Map([['input', g.inputShape]]);
  }

  spec(): ModelSpec {
    const out = this.tensor(this.g.output, 'the model output');
    const shape = this.shapes.get(out)!;
    if (shape.length !== 1) throw new UserError(`model output '${this.g.output}' has shape [${shape}]; pqk needs a vector of class scores`);
    const spec = { name: 'imported', inputShape: this.g.inputShape, numClasses: shape[0], nodes: this.nodes, output: out };
    // Channel pruning needs to know which layers' channels go together; an imported model has them derived.
    return { ...spec, channelGroups: deriveChannelGroups(spec) };
  }

  run(): void {
    for (const p of this.g.prims) if (!this.absorbed.has(p.name)) this.visit(p);
  }

  private tensor(name: string, where: string): string {
    const t = this.alias.get(name);
    if (t === undefined) throw new UserError(`${where} reads '${name}', which the import did not produce`);
    return t;
  }

  private shapeOf(p: Prim): number[] {
    return this.shapes.get(this.tensor(primInputs(p)[0], p.source))!;
  }

  private push(n: NodeSpec, from: string): void {
    this.nodes.push(n);
    if (n.kind === 'add') {
      const [a, b] = n.inputs.map((i) => this.shapes.get(i)!);
      if (a.join() !== b.join()) throw new UserError(`'${from}' adds tensors of shapes [${a}] and [${b}]; pqk adds equal shapes only`);
    }
    if (n.kind === 'mul') {
      const [a, b] = n.inputs.map((i) => this.shapes.get(i)!) as [number[], number[]];
      if (a.length !== b.length || a.some((d, i) => d !== b[i] && d !== 1 && b[i] !== 1))
        throw new UserError(`'${from}' multiplies tensors of shapes [${a}] and [${b}]; pqk multiplies shapes that broadcast`);
    }
    this.shapes = inferShapes({
      name: 'imported',
      inputShape: this.g.inputShape,
      numClasses: 0,
      nodes: this.nodes,
      output: n.name,
      channelGroups: [],
    });
    this.alias.set(from, n.name);
  }

  private fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_') || 'node';
    let name = clean;
    for (let k = 1; this.names.has(name); k++) name = `${clean}_${k}`;
    this.names.add(name);
    return name;
  }

  private visit(p: Prim): void {
    switch (p.op) {
      case 'conv':
      case 'depthwise':
      case 'matmul':
        return this.weightBlock(p);
      case 'bias':
      case 'scale':
      case 'bn':
      case 'act':
        return this.identityBlock(p);
      case 'identity':
        this.alias.set(p.name, this.tensor(p.input, p.source));
        return;
      case 'softmax':
        if (!this.leadsToOutput(p.name)) throw new UserError(`${p.source}: softmax is supported only as the model's final activation`);
        this.softmax = true;
        this.alias.set(p.name, this.tensor(p.input, p.source));
        return;
      case 'flatten':
        if (this.shapeOf(p).length === 1) this.alias.set(p.name, this.tensor(p.input, p.source));
        else this.push({ kind: 'flatten', name: this.fresh(p.name), input: this.tensor(p.input, p.source) }, p.name);
        return;
      case 'expand':
        if (this.shapeOf(p).length !== 1)
          throw new UserError(`${p.source}: reshapes [${this.shapeOf(p)}] to a 1x1 map; pqk does so for vectors only`);
        this.push({ kind: 'expand', name: this.fresh(p.name), input: this.tensor(p.input, p.source) }, p.name);
        return;
      case 'pool':
        this.spatial(p, this.shapeOf(p));
        this.push(
          {
            kind: p.kind,
            name: this.fresh(p.name),
            input: this.tensor(p.input, p.source),
            size: p.size,
            stride: p.stride,
            padding: p.padding,
          },
          p.name,
        );
        return;
      case 'gpool':
        return this.globalPool(p);
      case 'pad':
        this.spatial(p, this.shapeOf(p));
        this.push({ kind: 'pad', name: this.fresh(p.name), input: this.tensor(p.input, p.source), pads: p.pads }, p.name);
        return;
      case 'add':
      case 'mul':
        return this.addBlock(p);
      case 'nonlinear':
        this.push({ kind: 'activation', name: this.fresh(p.name), input: this.tensor(p.input, p.source), fn: p.fn }, p.name);
        return;
      case 'concat':
        return this.concatBlock(p);
    }
  }

  private spatial(p: Prim, shape: number[]): number[] {
    if (shape.length !== 3) throw new UserError(`${p.source}: needs an [H, W, C] input, got [${shape}]`);
    return shape;
  }

  private leadsToOutput(name: string): boolean {
    if (name === this.g.output) return true;
    const rs = this.readers.get(name) ?? [];
    return rs.length === 1 && rs[0].op === 'identity' && this.leadsToOutput(rs[0].name);
  }

  private globalPool(p: Prim & { op: 'gpool' }): void {
    const shape = this.spatial(p, this.shapeOf(p));
    const hw: [number, number] = [shape[0], shape[1]];
    const input = this.tensor(p.input, p.source);
    this.push({ kind: p.kind, name: this.fresh(p.name), input, size: hw, stride: hw, padding: 'valid' }, p.name);
    if (!p.keepDims) this.push({ kind: 'flatten', name: this.fresh(`${p.name}/flatten`), input: this.alias.get(p.name)! }, p.name);
  }

  // An add or a mul, with the ReLU that follows it when it is the only reader.
  private addBlock(p: Prim & { op: 'add' | 'mul' }): void {
    const inputs: [string, string] = [this.tensor(p.inputs[0], p.source), this.tensor(p.inputs[1], p.source)];
    let act: ActName = 'none';
    let end = p.name;
    for (let next = this.soleReader(end); next; next = this.soleReader(end)) {
      if (next.op === 'act') act = next.act;
      else if (next.op !== 'identity') break;
      this.absorbed.add(next.name);
      end = next.name;
      if (next.op === 'act') break;
    }
    this.push({ kind: p.op, name: this.fresh(p.name), inputs, activation: act }, end);
  }

  // Channels joined: maps of equal height and width, or vectors.
  private concatBlock(p: Prim & { op: 'concat' }): void {
    const inputs = p.inputs.map((i) => this.tensor(i, p.source));
    const shapes = inputs.map((i) => this.shapes.get(i)!);
    const lead = shapes[0]!.slice(0, -1).join();
    if (shapes.some((s) => s.length !== shapes[0]!.length || s.slice(0, -1).join() !== lead))
      throw new UserError(
        `'${p.source}' joins tensors of shapes ${shapes.map((s) => `[${s}]`).join(', ')}; pqk joins them along channels only`,
      );
    if (inputs.length === 1) {
      this.alias.set(p.name, inputs[0]!);
      return;
    }
    // The joined tensors share one int8 quantization; a sigmoid's is fixed (LOGISTIC's 1/256, -128), so a sigmoid's
    // output (through nodes that keep its quantization) is moved onto the shared one first: a requantize node,
    // TFLite's QUANTIZE.
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    const joined = inputs.map((i) => {
      let n = byName.get(i);
      while (n && keepsQuantization(n.kind) && n.kind !== 'concat') n = byName.get(nodeInputs(n)[0]!);
      if (n?.kind !== 'activation' || n.fn !== 'sigmoid') return i;
      const key = `${i}#requantized`;
      if (!this.alias.has(key)) this.push({ kind: 'requantize', name: this.fresh(`${i}/requantized`), input: i }, key);
      return this.alias.get(key)!;
    });
    this.push({ kind: 'concat', name: this.fresh(p.name), inputs: joined }, p.name);
  }

  // The op that alone reads `name`, when it is one a block can absorb.
  private soleReader(name: string): Absorbable | undefined {
    if (name === this.g.output) return undefined;
    const rs = this.readers.get(name) ?? [];
    if (rs.length !== 1) return undefined;
    const r = rs[0];
    return r.op === 'bias' || r.op === 'scale' || r.op === 'bn' || r.op === 'act' || r.op === 'identity' ? r : undefined;
  }

  private weightBlock(p: Prim & { op: 'conv' | 'depthwise' | 'matmul' }): void {
    const inShape = this.shapeOf(p);
    const input = this.tensor(p.input, p.source);
    const name = '';
    const k: [number, number] = [p.w.shape[0], p.w.shape[1]];
    let spec: WeightNodeSpec;
    if (p.op === 'matmul') {
      if (inShape.length !== 1) throw new UserError(`${p.source}: a dense layer needs a flat input, got [${inShape}] (add a Flatten)`);
      spec = { kind: 'dense', name, input, units: p.w.shape[1], activation: 'none' };
    } else {
      this.spatial(p, inShape);
      const common = { name, input, kernel: k, stride: p.stride, padding: p.padding, bn: false, activation: 'none' as const };
      spec =
        p.op === 'conv' ? { kind: 'conv', filters: p.w.shape[3], ...common } : { kind: 'depthwise', multiplier: p.w.shape[3], ...common };
    }
    const outC = p.op === 'depthwise' ? p.w.shape[2] * p.w.shape[3] : p.w.shape[p.w.shape.length - 1];
    const wantIn = p.op === 'matmul' ? inShape[0] : inShape[2];
    if (p.w.shape[p.w.shape.length - 2] !== wantIn)
      throw new UserError(`${p.source}: kernel of shape [${p.w.shape}] does not fit its input of shape [${inShape}]`);
    this.grow({ spec, w: p.w, bias: fill(outC, 0), act: 'none' }, p);
  }

  // A bias / batch norm / activation with no block before it: a per-channel identity kernel, then the op itself.
  private identityBlock(p: Absorbable): void {
    const inShape = this.shapeOf(p);
    const input = this.tensor(p.input, p.source);
    const name = '';
    const c = inShape[inShape.length - 1];
    if (inShape.length === 1) {
      const w = new Float32Array(c * c);
      for (let i = 0; i < c; i++) w[i * c + i] = 1;
      this.grow(
        {
          spec: { kind: 'dense', name, input, units: c, activation: 'none' },
          w: { data: w, shape: [c, c] },
          bias: fill(c, 0),
          act: 'none',
        },
        p,
        true,
      );
    } else {
      const spec: WeightNodeSpec = {
        kind: 'depthwise',
        name,
        input,
        multiplier: 1,
        kernel: [1, 1],
        stride: [1, 1],
        padding: 'valid',
        bn: false,
        activation: 'none',
      };
      this.grow({ spec, w: { data: fill(c, 1), shape: [1, 1, c, 1] }, bias: fill(c, 0), act: 'none' }, p, true);
    }
  }

  // Absorbs what follows `start` (and `start` itself when it is a bias / BN / activation on an identity kernel).
  private grow(blk: Block, start: Prim, absorbStart = false): void {
    let end = start.name;
    let next = absorbStart ? (start as Absorbable) : this.soleReader(end);
    while (next && absorb(blk, next)) {
      this.absorbed.add(next.name);
      end = next.name;
      next = blk.act === 'none' ? this.soleReader(end) : undefined;
    }
    // Named after the layer, except the first half of a layer with two kernels (separable conv).
    const last = this.lastWeightOp.get(start.owner);
    blk.spec.name = this.fresh(last === undefined || last === start.name ? start.owner : start.name);
    blk.spec.activation = blk.act;
    const weights: BlockWeights = { w: blk.w };
    if (blk.bn) weights.bn = blk.bn;
    else weights.b = blk.bias;
    if (blk.spec.kind !== 'dense') blk.spec.bn = blk.bn !== undefined;
    this.weights.set(blk.spec.name, weights);
    this.push(blk.spec, end);
  }
}

export function fuse(g: PrimGraph): FusedModel {
  const f = new Fuser(g);
  f.run();
  return { spec: f.spec(), weights: f.weights, softmax: f.softmax };
}
