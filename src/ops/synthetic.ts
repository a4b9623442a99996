// A DS-CNN-shaped QModel with seeded random weights (Hello Edge "DS-CNN S": 49x10 MFCC input, 10x4 conv stride 2,
// four depthwise-separable blocks of 64 channels, global pooling, 12-way classifier). It feeds the integer
// reference's benchmark and its golden end-to-end comparisons; the numbers mean nothing, the shapes and ops are real.

import type { QModel, QOp, QTensor } from '../int/graph.js';
import { prepareModel } from './interpreter.js';
import { mulberry32 } from '../util/rng.js';

export interface SyntheticOptions {
  seed?: number;
  pooling?: 'AVERAGE_POOL_2D' | 'MEAN';
  weightBits?: 4 | 8; // values kept in the int4 range are stored as int8 unless int4Dtype is set
  int4Dtype?: boolean;
}

class Builder {
  readonly tensors: QTensor[] = [];
  readonly ops: QOp[] = [];
  x = 0; // the activation the next layer reads
  constructor(
    readonly rand: () => number,
    readonly wMax: number,
    readonly wDtype: 'int8' | 'int4',
  ) {}

  add(t: QTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  activation(name: string, shape: number[], scale: number, zeroPoint: number): number {
    return this.add({ name, shape, dtype: 'int8', scale: [Math.fround(scale)], zeroPoint: [zeroPoint] });
  }

  scaleOf(t: number): number {
    return this.tensors[t].scale[0];
  }

  // Sets tensor t's scale so that its largest |q - zp| over two seeded inputs uses most of the int8 range: the
  // op producing t runs first with a deliberately wide provisional scale.
  calibrate(t: number, span: number): number {
    const run = prepareModel({ tensors: this.tensors, ops: this.ops, inputs: [0], outputs: [t], metadata: {} });
    const zp = this.tensors[t].zeroPoint[0];
    let max = 0;
    for (let k = 0; k < 2; k++) {
      const x = Int8Array.from({ length: 490 }, () => Math.floor(this.rand() * 256) - 128);
      for (const q of run.run(x).outputs[0] as Int8Array) max = Math.max(max, Math.abs(q - zp));
    }
    if (max > 0) this.tensors[t].scale = [Math.fround((this.scaleOf(t) * max * 1.1) / span)];
    return this.scaleOf(t);
  }

  // Random symmetric weights with per-channel scales along `dim` (one scale when perTensor), and their bias.
  weights(name: string, shape: number[], dim: number, taps: number, perTensor = false): [number, number] {
    const count = shape.reduce((a, d) => a * d, 1);
    const channels = shape[dim];
    const data = Int8Array.from({ length: count }, () => Math.round((this.rand() * 2 - 1) * this.wMax));
    const draw = (): number => Math.fround((0.5 + this.rand()) / (this.wMax * Math.sqrt(taps)));
    const scale = perTensor ? [draw()] : Array.from({ length: channels }, draw);
    const w = this.add({ name, shape, dtype: this.wDtype, scale, zeroPoint: scale.map(() => 0), quantizedDim: dim, data });
    const bScale = scale.map((s) => Math.fround(Math.fround(this.scaleOf(this.x)) * s));
    const bData = Int32Array.from({ length: channels }, (_, c) => Math.round(((this.rand() - 0.5) * 0.2) / bScale[perTensor ? 0 : c]));
    const zeros = bScale.map(() => 0);
    const bias: QTensor = { name: `${name}/bias`, shape: [channels], dtype: 'int32', scale: bScale, zeroPoint: zeros, data: bData };
    const b = this.add({ ...bias, quantizedDim: 0 });
    return [w, b];
  }

  // CONV_2D or DEPTHWISE_CONV_2D with SAME padding and RELU, its output calibrated to [0, max].
  conv(name: string, shape: number[], depthwise: boolean, stride: number, outShape: number[]): void {
    const taps = depthwise ? shape[1] * shape[2] : shape[1] * shape[2] * shape[3];
    const [w, b] = this.weights(`${name}/weights`, shape, depthwise ? 3 : 0, taps);
    const y = this.activation(name, outShape, this.scaleOf(this.x) * 50, -128); // wide until calibrated
    const options = { padding: 'SAME', strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: 'RELU' } as const;
    const io = { inputs: [this.x, w, b], outputs: [y] };
    this.ops.push(
      depthwise ? { op: 'DEPTHWISE_CONV_2D', ...io, options: { ...options, depthMultiplier: 1 } } : { op: 'CONV_2D', ...io, options },
    );
    this.calibrate(y, 255);
    this.x = y;
  }

  pool(kind: 'AVERAGE_POOL_2D' | 'MEAN', [h, w, c]: number[]): void {
    const y = this.activation('pool', [1, 1, 1, c], this.scaleOf(this.x), -128);
    if (kind === 'MEAN') {
      const axes = this.add({ name: 'axes', shape: [2], dtype: 'int32', scale: [], zeroPoint: [], data: Int32Array.from([1, 2]) });
      this.ops.push({ op: 'MEAN', inputs: [this.x, axes], outputs: [y], options: { keepDims: true } });
    } else {
      const options = { padding: 'VALID', strideH: 1, strideW: 1, filterH: h, filterW: w, activation: 'NONE' } as const;
      this.ops.push({ op: 'AVERAGE_POOL_2D', inputs: [this.x], outputs: [y], options });
    }
    const flat = this.activation('flatten', [1, c], this.scaleOf(this.x), -128);
    this.ops.push({ op: 'RESHAPE', inputs: [y], outputs: [flat], options: { newShape: [1, c] } });
    this.x = flat;
  }

  // FULLY_CONNECTED (per-tensor, as TFLite 2.9 needs) and SOFTMAX; logits are stretched to span about ±8 in real
  // units (scales only, integers unchanged) so that the probabilities are peaked.
  classifier(inDepth: number, classes: number): number {
    const [w, b] = this.weights('fc/weights', [classes, inDepth], 0, inDepth, true);
    const logits = this.activation('logits', [1, classes], this.scaleOf(this.x) * 10, 0);
    const options = { activation: 'NONE', keepNumDims: false } as const;
    this.ops.push({ op: 'FULLY_CONNECTED', inputs: [this.x, w, b], outputs: [logits], options });
    const stretch = 8 / (this.calibrate(logits, 127) * 127);
    for (const t of [w, b, logits]) this.tensors[t].scale = this.tensors[t].scale.map((v) => Math.fround(v * stretch));
    const probs = this.activation('probs', [1, classes], 1 / 256, -128);
    this.ops.push({ op: 'SOFTMAX', inputs: [logits], outputs: [probs], options: { beta: 1 } });
    return probs;
  }
}

export function syntheticDsCnn(opts: SyntheticOptions = {}): QModel {
  const bits = opts.weightBits ?? 8;
  const g = new Builder(mulberry32(opts.seed ?? 1), bits === 8 ? 127 : 7, bits === 4 && opts.int4Dtype ? 'int4' : 'int8');
  g.x = g.activation('input', [1, 49, 10, 1], 0.05, 3);
  g.conv('conv0', [64, 10, 4, 1], false, 2, [1, 25, 5, 64]);
  for (let i = 1; i <= 4; i++) {
    g.conv(`dw${i}`, [1, 3, 3, 64], true, 1, [1, 25, 5, 64]);
    g.conv(`pw${i}`, [64, 1, 1, 64], false, 1, [1, 25, 5, 64]);
  }
  g.pool(opts.pooling ?? 'AVERAGE_POOL_2D', [25, 5, 64]);
  const probs = g.classifier(64, 12);
  return { tensors: g.tensors, ops: g.ops, inputs: [0], outputs: [probs], metadata: {}, description: 'synthetic DS-CNN' };
}
