// Models for the tflite tests: a DS-CNN-shaped keyword-spotting net and one small model per op, built from seeded
// random integer weights. Scales are float32-representable so a round trip can compare them exactly.
import type { DType, QModel, QOp, QTensor } from '../../src/int/graph.js';
import { elementCount } from '../../src/int/graph.js';
import { mulberry32 } from '../../src/util/rng.js';

export class ModelBuilder {
  readonly tensors: QTensor[] = [];
  readonly ops: QOp[] = [];
  private readonly rand: () => number;

  constructor(seed = 1) {
    this.rand = mulberry32(seed);
  }

  private scale(): number {
    return Math.fround(0.001 + this.rand() * 0.05);
  }

  act(name: string, shape: number[], dtype: DType = 'int8'): number {
    const q =
      dtype === 'float32' ? { scale: [], zeroPoint: [] } : { scale: [this.scale()], zeroPoint: [Math.floor(this.rand() * 40) - 20] };
    return this.tensors.push({ name, shape, dtype, ...q }) - 1;
  }

  // Per-channel symmetric weights along `dim`, values drawn in the dtype's range with about `sparsity` zeros.
  weights(name: string, shape: number[], dim: number, dtype: 'int8' | 'int4' = 'int8', sparsity = 0.3): number {
    const n = elementCount(shape);
    const lim = dtype === 'int4' ? 7 : 127;
    const data = new Int8Array(n);
    for (let i = 0; i < n; i++) data[i] = this.rand() < sparsity ? 0 : Math.round((this.rand() * 2 - 1) * lim);
    const ch = shape[dim]!;
    const scale = Array.from({ length: ch }, () => this.scale());
    return this.tensors.push({ name, shape, dtype, scale, zeroPoint: new Array(ch).fill(0), quantizedDim: dim, data }) - 1;
  }

  // int32 bias with TFLite's scale: input scale x the weights' per-channel scale.
  bias(name: string, input: number, weights: number): number {
    const ws = this.tensors[weights]!.scale;
    const n = ws.length;
    const data = Int32Array.from({ length: n }, () => Math.floor((this.rand() * 2 - 1) * 20000));
    const scale = ws.map((s) => Math.fround(this.tensors[input]!.scale[0]! * s));
    return this.tensors.push({ name, shape: [n], dtype: 'int32', scale, zeroPoint: new Array(n).fill(0), quantizedDim: 0, data }) - 1;
  }

  int32Const(name: string, values: number[], shape = [values.length]): number {
    return this.tensors.push({ name, shape, dtype: 'int32', scale: [], zeroPoint: [], data: Int32Array.from(values) }) - 1;
  }

  op(op: QOp): void {
    this.ops.push(op);
  }

  model(inputs: number[], outputs: number[], metadata: Record<string, string> = {}): QModel {
    return { tensors: this.tensors, ops: this.ops, inputs, outputs, metadata };
  }
}

const conv = (strideH: number, strideW: number, activation: 'NONE' | 'RELU' | 'RELU6' = 'RELU') => ({
  padding: 'SAME' as const,
  strideH,
  strideW,
  dilationH: 1,
  dilationW: 1,
  activation,
});

// DS-CNN (Zhang et al., "Hello Edge"): conv 10x4 s2 64ch, 4 x [dw 3x3, pw 1x1 64], avg pool 25x5, reshape, FC 12, softmax.
export function dsCnn(weightType: 'int8' | 'int4' = 'int8', seed = 7): QModel {
  const b = new ModelBuilder(seed);
  const input = b.act('input', [1, 49, 10, 1]);
  let x = b.act('conv0', [1, 25, 5, 64]);
  const w0 = b.weights('conv0/w', [64, 10, 4, 1], 0, weightType);
  b.op({ op: 'CONV_2D', inputs: [input, w0, b.bias('conv0/b', input, w0)], outputs: [x], options: conv(2, 2) });
  for (let i = 1; i <= 4; i++) {
    const dw = b.act(`dw${i}`, [1, 25, 5, 64]);
    const dww = b.weights(`dw${i}/w`, [1, 3, 3, 64], 3, weightType);
    b.op({
      op: 'DEPTHWISE_CONV_2D',
      inputs: [x, dww, b.bias(`dw${i}/b`, x, dww)],
      outputs: [dw],
      options: { ...conv(1, 1), depthMultiplier: 1 },
    });
    const pw = b.act(`pw${i}`, [1, 25, 5, 64]);
    const pww = b.weights(`pw${i}/w`, [64, 1, 1, 64], 0, weightType);
    b.op({ op: 'CONV_2D', inputs: [dw, pww, b.bias(`pw${i}/b`, dw, pww)], outputs: [pw], options: conv(1, 1) });
    x = pw;
  }
  const pool = b.act('pool', [1, 1, 1, 64]);
  b.op({
    op: 'AVERAGE_POOL_2D',
    inputs: [x],
    outputs: [pool],
    options: { padding: 'VALID', strideH: 1, strideW: 1, filterH: 25, filterW: 5, activation: 'NONE' },
  });
  const flat = b.act('flat', [1, 64]);
  b.op({ op: 'RESHAPE', inputs: [pool, b.int32Const('flat/shape', [1, 64])], outputs: [flat], options: { newShape: [1, 64] } });
  const logits = b.act('logits', [1, 12]);
  const fcw = b.weights('fc/w', [12, 64], 0, weightType);
  b.op({
    op: 'FULLY_CONNECTED',
    inputs: [flat, fcw, b.bias('fc/b', flat, fcw)],
    outputs: [logits],
    options: { activation: 'NONE', keepNumDims: false },
  });
  const probs = b.act('probs', [1, 12]);
  b.tensors[probs]!.scale = [1 / 256];
  b.tensors[probs]!.zeroPoint = [-128];
  b.op({ op: 'SOFTMAX', inputs: [logits], outputs: [probs], options: { beta: 1 } });
  return b.model([input], [probs], { labels: 'silence,unknown,yes,no,up,down,left,right,on,off,stop,go', target: 'cortex-m4' });
}

// One small model per op kind (and weight dtype), each a single op between int8 tensors.
export function singleOpModels(): { name: string; model: QModel }[] {
  const out: { name: string; model: QModel }[] = [];
  const mk = (name: string, build: (b: ModelBuilder) => QModel) => out.push({ name, model: build(new ModelBuilder(out.length + 11)) });
  for (const wt of ['int8', 'int4'] as const) {
    mk(`CONV_2D ${wt}`, (b) => {
      const i = b.act('in', [1, 6, 5, 3]);
      const o = b.act('out', [1, 3, 3, 4]);
      const w = b.weights('w', [4, 3, 3, 3], 0, wt);
      b.op({ op: 'CONV_2D', inputs: [i, w, b.bias('b', i, w)], outputs: [o], options: { ...conv(2, 2, 'RELU6'), padding: 'SAME' } });
      return b.model([i], [o]);
    });
    mk(`DEPTHWISE_CONV_2D ${wt}`, (b) => {
      const i = b.act('in', [1, 5, 5, 3]);
      const o = b.act('out', [1, 3, 3, 6]);
      const w = b.weights('w', [1, 3, 3, 6], 3, wt);
      b.op({
        op: 'DEPTHWISE_CONV_2D',
        inputs: [i, w, b.bias('b', i, w)],
        outputs: [o],
        options: { ...conv(1, 1, 'NONE'), padding: 'VALID', depthMultiplier: 2 },
      });
      return b.model([i], [o]);
    });
    mk(`FULLY_CONNECTED ${wt}`, (b) => {
      const i = b.act('in', [2, 7]);
      const o = b.act('out', [2, 5]);
      const w = b.weights('w', [5, 7], 0, wt);
      b.op({ op: 'FULLY_CONNECTED', inputs: [i, w, b.bias('b', i, w)], outputs: [o], options: { activation: 'RELU', keepNumDims: false } });
      return b.model([i], [o]);
    });
  }
  for (const op of ['AVERAGE_POOL_2D', 'MAX_POOL_2D'] as const)
    mk(op, (b) => {
      const i = b.act('in', [1, 4, 6, 2]);
      const o = b.act('out', [1, 2, 3, 2]);
      b.op({
        op,
        inputs: [i],
        outputs: [o],
        options: { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'RELU' },
      });
      return b.model([i], [o]);
    });
  mk('MEAN', (b) => {
    const i = b.act('in', [1, 4, 4, 8]);
    const o = b.act('out', [1, 1, 1, 8]);
    b.op({ op: 'MEAN', inputs: [i, b.int32Const('axes', [1, 2])], outputs: [o], options: { keepDims: true } });
    return b.model([i], [o]);
  });
  mk('ADD', (b) => {
    const [x, y, o] = [b.act('x', [1, 3, 3, 4]), b.act('y', [1, 3, 3, 4]), b.act('out', [1, 3, 3, 4])];
    b.op({ op: 'ADD', inputs: [x, y], outputs: [o], options: { activation: 'RELU6' } });
    return b.model([x, y], [o]);
  });
  mk('RESHAPE', (b) => {
    const [i, o] = [b.act('in', [1, 2, 3, 4]), b.act('out', [1, 24])];
    b.op({ op: 'RESHAPE', inputs: [i], outputs: [o], options: { newShape: [1, 24] } });
    return b.model([i], [o]);
  });
  mk('SQUEEZE', (b) => {
    const [i, o] = [b.act('in', [1, 1, 1, 8]), b.act('out', [1, 8])];
    b.op({ op: 'SQUEEZE', inputs: [i], outputs: [o], options: { squeezeDims: [1, 2] } });
    return b.model([i], [o]);
  });
  mk('EXPAND_DIMS', (b) => {
    const [i, o] = [b.act('in', [1, 8]), b.act('out', [1, 1, 8])];
    b.op({ op: 'EXPAND_DIMS', inputs: [i, b.int32Const('axis', [1])], outputs: [o], options: {} });
    return b.model([i], [o]);
  });
  mk('SOFTMAX', (b) => {
    const [i, o] = [b.act('in', [1, 10]), b.act('out', [1, 10])];
    b.tensors[o]!.scale = [1 / 256]; // TFLite's int8 softmax output quantization
    b.tensors[o]!.zeroPoint = [-128];
    b.op({ op: 'SOFTMAX', inputs: [i], outputs: [o], options: { beta: Math.fround(0.7) } });
    return b.model([i], [o]);
  });
  mk('PAD', (b) => {
    const [i, o] = [b.act('in', [1, 3, 4, 2]), b.act('out', [1, 6, 5, 2])];
    b.tensors[o] = { ...b.tensors[i]!, name: 'out', shape: [1, 6, 5, 2] }; // PAD keeps the quantization
    b.op({ op: 'PAD', inputs: [i, b.int32Const('paddings', [0, 0, 1, 2, 0, 1, 0, 0], [4, 2])], outputs: [o], options: {} });
    return b.model([i], [o]);
  });
  mk('CONCATENATION', (b) => {
    const [x, y] = [b.act('x', [1, 3, 4, 2]), b.act('y', [1, 3, 1, 2])];
    b.tensors[y] = { ...b.tensors[x]!, name: 'y', shape: [1, 3, 1, 2] }; // int8 CONCATENATION shares one quantization
    const o = b.tensors.push({ ...b.tensors[x]!, name: 'out', shape: [1, 3, 5, 2] }) - 1;
    b.op({ op: 'CONCATENATION', inputs: [x, y], outputs: [o], options: { axis: 2, activation: 'NONE' } });
    return b.model([x, y], [o]);
  });
  mk('MUL', (b) => {
    const [x, g, o] = [b.act('x', [1, 3, 3, 4]), b.act('gate', [1, 1, 1, 4]), b.act('out', [1, 3, 3, 4])];
    b.op({ op: 'MUL', inputs: [x, g], outputs: [o], options: { activation: 'RELU' } });
    return b.model([x, g], [o]);
  });
  mk('LOGISTIC', (b) => {
    const [i, o] = [b.act('in', [1, 10]), b.act('out', [1, 10])];
    b.tensors[o]!.scale = [1 / 256]; // TFLite's int8 LOGISTIC output quantization
    b.tensors[o]!.zeroPoint = [-128];
    b.op({ op: 'LOGISTIC', inputs: [i], outputs: [o], options: {} });
    return b.model([i], [o]);
  });
  mk('HARD_SWISH', (b) => {
    const [i, o] = [b.act('in', [1, 2, 2, 8]), b.act('out', [1, 2, 2, 8])];
    b.op({ op: 'HARD_SWISH', inputs: [i], outputs: [o], options: {} });
    return b.model([i], [o]);
  });
  mk('QUANTIZE+DEQUANTIZE', (b) => {
    const [f, q, g] = [b.act('f', [1, 8], 'float32'), b.act('q', [1, 8]), b.act('g', [1, 8], 'float32')];
    b.op({ op: 'QUANTIZE', inputs: [f], outputs: [q], options: {} });
    b.op({ op: 'DEQUANTIZE', inputs: [q], outputs: [g], options: {} });
    return b.model([f], [g], { note: 'float I/O' });
  });
  return out;
}
