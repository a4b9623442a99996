// Small frozen GraphDefs written in the tfjs graph-model format (model.json with the node list + weights manifest,
// weights.bin), the way tensorflowjs_converter writes them: attribute strings base64, integers as strings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, normal, type Rng } from '../../src/util/rng.js';
import { tempDir } from './layers-fixtures.js';

type Attr = Record<string, unknown>;
interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Attr;
}
interface Weight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

const T = { T: { type: 'DT_FLOAT' } };
const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const ints = (xs: number[]): Attr => ({ list: { i: xs.map(String) } });
export const str = (s: string): Attr => ({ s: b64(s) });

export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly weights: Weight[] = [];
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({
      name,
      op: 'Placeholder',
      attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    });
    return name;
  }

  // A float constant with random values (positive ones for variances).
  random(name: string, shape: number[], scale = 0.5, positive = false): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => (positive ? 0.05 + Math.exp(normal(this.rng)) * 0.3 : normal(this.rng) * scale));
    return this.constant(name, shape, data);
  }

  constant(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    const tfType = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        value: { tensor: { dtype: tfType, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
        dtype: { type: tfType },
      },
    });
    this.weights.push({ name, shape, dtype, data });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Attr = {}): string {
    this.nodes.push({ name, op, input, attr: { ...T, ...attr } });
    return name;
  }

  conv(name: string, op: string, input: string[], strides: number[], padding: string, extra: Attr = {}): string {
    const attr = {
      strides: ints([1, ...strides, 1]),
      padding: str(padding),
      data_format: str('NHWC'),
      dilations: ints([1, 1, 1, 1]),
      ...extra,
    };
    return this.op(name, op, input, attr);
  }

  fused(ops: string[], numArgs: number, epsilon = 0): Attr {
    return { fused_ops: { list: { s: ops.map(b64) } }, num_args: { i: String(numArgs) }, epsilon: { f: epsilon } };
  }

  write(): string {
    const dir = tempDir('pqk-graph-');
    const bytes = this.weights.map((w) => new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(bytes));
    const manifest = [{ paths: ['weights.bin'], weights: this.weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }];
    const json = {
      format: 'graph-model',
      generatedBy: '2.15.0',
      convertedBy: 'pqk test',
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: manifest,
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    return join(dir, 'model.json');
  }
}

// _FusedConv2D (BiasAdd, Relu) -> DepthwiseConv2dNative -> BiasAdd -> Relu6 -> AvgPool -> Reshape -> MatMul ->
// BiasAdd -> Softmax, with Identity nodes in between as the converter leaves them.
export function graphA(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('input_1', [-1, 10, 8, 3]);
  const c = g.conv(
    'conv',
    '_FusedConv2D',
    [x, g.random('conv/w', [3, 3, 3, 6]), g.random('conv/b', [6])],
    [1, 1],
    'SAME',
    g.fused(['BiasAdd', 'Relu'], 1),
  );
  const d = g.conv('dw', 'DepthwiseConv2dNative', [c, g.random('dw/w', [3, 3, 6, 2])], [2, 2], 'SAME');
  const db = g.op('dw/bias', 'BiasAdd', [d, g.random('dw/b', [12])], { data_format: str('NHWC') });
  const r = g.op('dw/relu6', 'Relu6', [db]);
  const p = g.op('pool', 'AvgPool', [r], {
    ksize: ints([1, 2, 2, 1]),
    strides: ints([1, 2, 2, 1]),
    padding: str('VALID'),
    data_format: str('NHWC'),
  });
  const f = g.op('flat', 'Reshape', [p, g.constant('flat/shape', [2], Int32Array.from([-1, 2 * 2 * 12]))], {
    Tshape: { type: 'DT_INT32' },
  });
  const i = g.op('flat/id', 'Identity', [f]);
  const m = g.op('fc', 'MatMul', [i, g.random('fc/w', [48, 5], 0.3)], { transpose_a: { b: false }, transpose_b: { b: false } });
  const mb = g.op('fc/bias', 'BiasAdd', [m, g.random('fc/b', [5])], { data_format: str('NHWC') });
  g.op('probs', 'Softmax', [mb]);
  return g.write();
}

// FusedDepthwiseConv2dNative, MaxPool, a residual AddV2, Relu, Mean (global average pooling), _FusedMatMul with Relu
// and a MatMul with transpose_b plus an AddV2 bias; the model ends in logits.
export function graphB(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 9, 9, 4]);
  const d = g.conv(
    'dw',
    'FusedDepthwiseConv2dNative',
    [x, g.random('dw/w', [3, 3, 4, 1]), g.random('dw/b', [4])],
    [1, 1],
    'SAME',
    g.fused(['BiasAdd', 'Relu6'], 1),
  );
  const s = g.op('res', 'AddV2', [x, d]);
  const r = g.op('res/relu', 'Relu', [s]);
  const mp = g.op('mp', 'MaxPool', [r], {
    ksize: ints([1, 3, 3, 1]),
    strides: ints([1, 2, 2, 1]),
    padding: str('SAME'),
    data_format: str('NHWC'),
  });
  const pw = g.conv(
    'pw',
    '_FusedConv2D',
    [mp, g.random('pw/w', [1, 1, 4, 8]), g.random('pw/b', [8])],
    [1, 1],
    'VALID',
    g.fused(['BiasAdd'], 1),
  );
  const mean = g.op('gap', 'Mean', [pw, g.constant('gap/axes', [2], Int32Array.from([1, 2]))], {
    keep_dims: { b: false },
    Tidx: { type: 'DT_INT32' },
  });
  const h = g.op('fc1', '_FusedMatMul', [mean, g.random('fc1/w', [8, 6]), g.random('fc1/b', [6])], {
    transpose_a: { b: false },
    transpose_b: { b: false },
    ...g.fused(['BiasAdd', 'Relu'], 1),
  });
  const o = g.op('fc2', 'MatMul', [h, g.random('fc2/w', [3, 6])], { transpose_a: { b: false }, transpose_b: { b: true } });
  g.op('logits', 'AddV2', [o, g.random('fc2/b', [3])]);
  return g.write();
}

// The same conv + batch norm + ReLU twice: as _FusedConv2D with fused FusedBatchNorm (which tfjs cannot run) and as
// Conv2D -> FusedBatchNormV3 -> Relu (which it can), with identical weights.
export function graphBatchNorm(seed: number, fusedForm: boolean): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 6, 6, 2]);
  const w = g.random('conv/w', [3, 3, 2, 5]);
  const bn = [g.random('bn/gamma', [5]), g.random('bn/beta', [5]), g.random('bn/mean', [5]), g.random('bn/var', [5], 0, true)];
  let y: string;
  if (fusedForm) y = g.conv('conv', '_FusedConv2D', [x, w, ...bn], [2, 2], 'VALID', g.fused(['FusedBatchNorm', 'Relu'], 4, 1e-5));
  else {
    const c = g.conv('conv', 'Conv2D', [x, w], [2, 2], 'VALID');
    const b = g.op('bn', 'FusedBatchNormV3', [c, ...bn], {
      epsilon: { f: 1e-5 },
      is_training: { b: false },
      data_format: str('NHWC'),
      U: { type: 'DT_FLOAT' },
    });
    y = g.op('relu', 'Relu', [b]);
  }
  const f = g.op('flat', 'Reshape', [y, g.constant('flat/shape', [2], Int32Array.from([-1, 2 * 2 * 5]))]);
  g.op('fc', 'MatMul', [f, g.random('fc/w', [20, 3])], { transpose_a: { b: false }, transpose_b: { b: false } });
  return g.write();
}

// Input normalization (Sub, Mul by a scalar), a conv with a batch norm decomposed into Mul + AddV2, Relu6, Mean
// keeping dims, then Reshape and Softmax behind an Identity output node.
export function graphC(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 7, 7, 3]);
  const s = g.op('norm/sub', 'Sub', [x, g.random('norm/mean', [3])]);
  const m = g.op('norm/mul', 'Mul', [s, g.constant('norm/scale', [], Float32Array.of(0.7))]);
  const c = g.conv('conv', 'Conv2D', [m, g.random('conv/w', [3, 3, 3, 5])], [2, 2], 'SAME');
  const bm = g.op('bn/mul', 'Mul', [c, g.random('bn/scale', [5])]);
  const ba = g.op('bn/add', 'AddV2', [g.random('bn/shift', [1, 1, 1, 5]), bm]);
  const r = g.op('relu6', 'Relu6', [ba]);
  const mean = g.op('gap', 'Mean', [r, g.constant('gap/axes', [2], Int32Array.from([2, 1]))], { keep_dims: { b: true } });
  const f = g.op('flat', 'Reshape', [mean, g.constant('flat/shape', [2], Int32Array.from([-1, 5]))]);
  const p = g.op('probs', 'Softmax', [f]);
  g.op('Identity', 'Identity', [p]);
  return g.write();
}

// Pad (the converter's form of ZeroPadding2D: [[0, 0], [0, 1], [1, 2], [0, 0]]) before a VALID stride-2 conv; a
// Mean keeping dims, then Squeeze of dims 1 and 2 (a Hub MobileNet's head) into the dense layer.
export function graphPad(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 8, 7, 2]);
  const p = g.op('pad', 'Pad', [x, g.constant('pad/paddings', [4, 2], Int32Array.from([0, 0, 0, 1, 1, 2, 0, 0]))], {
    Tpaddings: { type: 'DT_INT32' },
  });
  const c = g.conv('conv', 'Conv2D', [p, g.random('conv/w', [3, 3, 2, 4])], [2, 2], 'VALID');
  const mean = g.op('gap', 'Mean', [c, g.constant('gap/axes', [2], Int32Array.from([1, 2]))], { keep_dims: { b: true } });
  const sq = g.op('squeeze', 'Squeeze', [mean], { squeeze_dims: ints([1, 2]) });
  g.op('fc', 'MatMul', [sq, g.random('fc/w', [4, 3])], { transpose_a: { b: false }, transpose_b: { b: false } });
  return g.write();
}

// Two branches of a conv (Relu, linear) joined with the conv's input by ConcatV2 along axis -1, then a 1x1 conv,
// Mean and a dense layer.
export function graphConcat(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 6, 6, 2]);
  const a = g.conv(
    'a',
    '_FusedConv2D',
    [x, g.random('a/w', [3, 3, 2, 3]), g.random('a/b', [3])],
    [1, 1],
    'SAME',
    g.fused(['BiasAdd', 'Relu'], 1),
  );
  const b = g.conv('b', 'Conv2D', [x, g.random('b/w', [1, 1, 2, 2])], [1, 1], 'SAME');
  const j = g.op('join', 'ConcatV2', [a, b, x, g.constant('join/axis', [], Int32Array.of(-1))], {
    N: { i: '3' },
    Tidx: { type: 'DT_INT32' },
  });
  const c = g.conv('c', 'Conv2D', [j, g.random('c/w', [1, 1, 7, 4])], [1, 1], 'VALID');
  const mean = g.op('gap', 'Mean', [c, g.constant('gap/axes', [2], Int32Array.from([1, 2]))], { keep_dims: { b: false } });
  g.op('fc', 'MatMul', [mean, g.random('fc/w', [4, 3])], { transpose_a: { b: false }, transpose_b: { b: false } });
  return g.write();
}

// A squeeze-and-excitation gate: a conv, Mean, Reshape back to [batch, 1, 1, C], a 1x1 conv, Sigmoid, Mul of the map by the gate (two
// tensors), Mean and a dense layer.
export function graphGate(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 6, 6, 2]);
  const c = g.conv(
    'c',
    '_FusedConv2D',
    [x, g.random('c/w', [3, 3, 2, 4]), g.random('c/b', [4])],
    [1, 1],
    'SAME',
    g.fused(['BiasAdd', 'Relu'], 1),
  );
  const m = g.op('squeeze', 'Mean', [c, g.constant('squeeze/axes', [2], Int32Array.from([1, 2]))], { keep_dims: { b: false } });
  const u = g.op('unsqueeze', 'Reshape', [m, g.constant('unsqueeze/shape', [4], Int32Array.from([-1, 1, 1, 4]))], {
    Tshape: { type: 'DT_INT32' },
  });
  const e = g.conv('e', 'Conv2D', [u, g.random('e/w', [1, 1, 4, 4])], [1, 1], 'VALID');
  const s = g.op('gate', 'Sigmoid', [e]);
  const y = g.op('excite', 'Mul', [c, s]);
  const mean = g.op('gap', 'Mean', [y, g.constant('gap/axes', [2], Int32Array.from([1, 2]))], { keep_dims: { b: false } });
  g.op('fc', 'MatMul', [mean, g.random('fc/w', [4, 3])], { transpose_a: { b: false }, transpose_b: { b: false } });
  return g.write();
}

// A graph with a Tanh activation, which pqk does not support.
export function graphTanh(seed: number): string {
  const g = new GraphBuilder(seed);
  const x = g.placeholder('x', [-1, 4]);
  const m = g.op('fc', 'MatMul', [x, g.random('fc/w', [4, 3])], { transpose_a: { b: false }, transpose_b: { b: false } });
  g.op('act/Tanh', 'Tanh', [m]);
  return g.write();
}
