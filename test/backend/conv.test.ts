// Native Conv2D / depthwise kernels and their gradients equal the cpu backend's on varied geometry.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';
import { useBackend } from './use-backend.js';

type Pad = 'same' | 'valid';
interface ConvCase {
  x: number[];
  w: number[];
  stride: number | [number, number];
  pad: Pad;
  dil?: number;
}

const CONV: ConvCase[] = [
  { x: [2, 9, 7, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 9, 7, 3], w: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  { x: [3, 49, 10, 1], w: [10, 4, 1, 8], stride: 2, pad: 'same' },
  { x: [2, 6, 5, 8], w: [1, 1, 8, 6], stride: 1, pad: 'same' },
  { x: [1, 8, 8, 2], w: [2, 3, 2, 5], stride: [2, 1], pad: 'same' },
  { x: [2, 11, 9, 3], w: [3, 3, 3, 2], stride: 1, pad: 'same', dil: 2 },
];

const DEPTH: (ConvCase & { mult: number })[] = [
  { x: [2, 9, 7, 4], w: [3, 3, 4, 1], stride: 1, pad: 'same', mult: 1 },
  { x: [2, 9, 7, 3], w: [3, 3, 3, 2], stride: 2, pad: 'valid', mult: 2 },
  { x: [3, 25, 10, 2], w: [10, 4, 2, 1], stride: 2, pad: 'same', mult: 1 },
  { x: [2, 11, 9, 3], w: [3, 3, 3, 2], stride: 1, pad: 'same', mult: 2, dil: 2 },
];

const name = (c: ConvCase) => `x${c.x.join('x')} w${c.w.join('x')} s${c.stride} ${c.pad} d${c.dil ?? 1}`;

describe('native conv kernels', () => {
  before(setupBackends);

  for (const c of CONV) {
    it(`conv2d ${name(c)}`, () => {
      const f = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dil ?? 1);
      const inputs = () => [rand(c.x, 1), rand(c.w, 2)];
      if (c.dil) assertSameOnBoth(name(c), () => f(...(inputs() as [tf.Tensor, tf.Tensor])));
      else assertSameOnBoth(name(c), gradsOf(f, inputs));
    });
  }

  for (const c of DEPTH) {
    it(`depthwise ${name(c)} mult ${c.mult}`, () => {
      const f = (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dil ?? 1);
      const inputs = () => [rand(c.x, 3), rand(c.w, 4)];
      if (c.dil) assertSameOnBoth(name(c), () => f(...(inputs() as [tf.Tensor, tf.Tensor])));
      else assertSameOnBoth(name(c), gradsOf(f, inputs));
    });
  }

  // tfjs has no dilated depthwise gradient and the cpu backprop kernels ignore dilation, so the native backprops
  // are checked by adjointness against the (cpu-checked) forward: <dy, conv(x, w)> = <dx(dy, w), x> = <dw(x, dy), w>.
  it('depthwise backprop kernels with dilation 2 are the adjoints of the forward', () => {
    const c = DEPTH[3]!;
    useBackend('native');
    const attrs = { strides: c.stride, pad: c.pad, dilations: 2, dimRoundingMode: undefined };
    const run = (kernel: string, inputs: Record<string, tf.Tensor>, extra: object) =>
      tf.engine().runKernel(kernel, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dot = (a: tf.Tensor, b: tf.Tensor) => {
      const [u, v] = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
      return u.reduce((s: number, ui: number, i: number) => s + ui * v[i]!, 0);
    };
    tf.tidy(() => {
      const x = rand(c.x, 5),
        w = rand(c.w, 6);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', 2);
      const dy = rand(y.shape, 7);
      const dx = run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { inputShape: c.x });
      const dw = run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { filterShape: c.w });
      const ref = dot(dy, y);
      assert.ok(Math.abs(dot(dx, x) - ref) < 1e-3 * Math.abs(ref) + 1e-3, `dx adjoint: ${dot(dx, x)} vs ${ref}`);
      assert.ok(Math.abs(dot(dw, w) - ref) < 1e-3 * Math.abs(ref) + 1e-3, `dw adjoint: ${dot(dw, w)} vs ${ref}`);
    });
  });

  it('fused conv2d and depthwise with bias and activations', () => {
    assertSameOnBoth('fused', () => {
      const x = rand([2, 8, 6, 3], 8) as tf.Tensor4D;
      return [
        tf.fused.conv2d({
          x,
          filter: rand([3, 3, 3, 5], 9) as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: rand([5], 10),
          activation: 'relu',
        }),
        tf.fused.conv2d({
          x,
          filter: rand([1, 1, 3, 4], 11) as tf.Tensor4D,
          strides: 2,
          pad: 'valid',
          bias: rand([4], 12),
          activation: 'relu6',
        }),
        tf.fused.depthwiseConv2d({
          x,
          filter: rand([3, 3, 3, 2], 13) as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: rand([6], 14),
          activation: 'elu',
        }),
      ];
    });
  });
});
