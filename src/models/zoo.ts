// pqk's model zoo: DS-CNN (MLPerf Tiny KWS), a small ResNet for images, and a tiny MLP for tests.
import type { ActName, ChannelGroup, ConvSpec, ModelSpec, NodeSpec } from './spec.js';

// 'ds-cnn-32': the same DS-CNN built 32 channels wide, about the size of ds-cnn with half its channels pruned (the
// train-small-from-scratch baseline that pruning must beat).
export const MODEL_NAMES = ['ds-cnn', 'ds-cnn-32', 'resnet', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

function conv(
  name: string,
  input: string,
  filters: number,
  k: [number, number],
  s: [number, number],
  activation: ActName = 'relu',
): ConvSpec {
  return { kind: 'conv', name, input, filters, kernel: k, stride: s, padding: 'same', bn: true, activation };
}

function group(id: string, size: number, producer: string, consumer: string, consumerAxis: number, passthrough?: string): ChannelGroup {
  return {
    id,
    size,
    producers: [{ weight: producer, axis: 3 }],
    passthrough: passthrough ? [{ weight: passthrough, axis: 2 }] : [],
    consumers: [{ weight: consumer, axis: consumerAxis }],
  };
}

// MLPerf Tiny KWS DS-CNN: 64-channel 10x4 stride-2 stem, four depthwise-separable blocks, average pool, dense.
// On 49x10 MFCC input: ~24k parameters, ~2.7M MACs.
export function dsCnn(inputShape: number[], numClasses: number, width = 64): ModelSpec {
  const nodes: NodeSpec[] = [conv('conv1', 'input', width, [10, 4], [2, 2])];
  const groups: ChannelGroup[] = [];
  let prev = 'conv1';
  for (let i = 1; i <= 4; i++) {
    nodes.push({
      kind: 'depthwise',
      name: `dw${i}`,
      input: prev,
      multiplier: 1,
      kernel: [3, 3],
      stride: [1, 1],
      padding: 'same',
      bn: true,
      activation: 'relu',
    });
    nodes.push(conv(`pw${i}`, `dw${i}`, width, [1, 1], [1, 1]));
    groups.push(group(`g${i}`, width, prev, `pw${i}`, 2, `dw${i}`));
    prev = `pw${i}`;
  }
  const h = Math.ceil(Math.ceil(inputShape[0] / 2));
  const w = Math.ceil(Math.ceil(inputShape[1] / 2));
  nodes.push({ kind: 'avgpool', name: 'pool', input: prev, size: [h, w], stride: [h, w], padding: 'valid' });
  nodes.push({ kind: 'flatten', name: 'flatten', input: 'pool' });
  nodes.push({ kind: 'dense', name: 'fc', input: 'flatten', units: numClasses, activation: 'none' });
  groups.push({ id: 'g5', size: width, producers: [{ weight: prev, axis: 3 }], passthrough: [], consumers: [{ weight: 'fc', axis: 0 }] });
  return { name: 'ds-cnn', inputShape, numClasses, nodes, output: 'fc', channelGroups: groups };
}

// A small ResNet (three stages of one basic block, 16/32/64 channels) for 28x28 images.
export function resnet(inputShape: number[], numClasses: number): ModelSpec {
  const nodes: NodeSpec[] = [conv('stem', 'input', 16, [3, 3], [1, 1])];
  const groups: ChannelGroup[] = [];
  let prev = 'stem';
  let ch = 16;
  const stages: [number, number][] = [
    [16, 1],
    [32, 2],
    [64, 2],
  ];
  stages.forEach(([filters, stride], i) => {
    const a = `b${i + 1}a`;
    const b = `b${i + 1}b`;
    nodes.push(conv(a, prev, filters, [3, 3], [stride, stride]));
    nodes.push(conv(b, a, filters, [3, 3], [1, 1], 'none'));
    groups.push(group(`g${i + 1}`, filters, a, b, 2));
    let shortcut = prev;
    if (stride !== 1 || ch !== filters) {
      shortcut = `b${i + 1}s`;
      nodes.push({ ...conv(shortcut, prev, filters, [1, 1], [stride, stride], 'none') });
    }
    nodes.push({ kind: 'add', name: `b${i + 1}add`, inputs: [b, shortcut], activation: 'relu' });
    prev = `b${i + 1}add`;
    ch = filters;
  });
  const hw = Math.ceil(inputShape[0] / 4);
  const ww = Math.ceil(inputShape[1] / 4);
  nodes.push({ kind: 'avgpool', name: 'pool', input: prev, size: [hw, ww], stride: [hw, ww], padding: 'valid' });
  nodes.push({ kind: 'flatten', name: 'flatten', input: 'pool' });
  nodes.push({ kind: 'dense', name: 'fc', input: 'flatten', units: numClasses, activation: 'none' });
  return { name: 'resnet', inputShape, numClasses, nodes, output: 'fc', channelGroups: groups };
}

// A tiny MLP: flatten, dense 32 + ReLU, dense classes. For tests.
export function mlp(inputShape: number[], numClasses: number, hidden = 32): ModelSpec {
  return {
    name: 'mlp',
    inputShape,
    numClasses,
    nodes: [
      { kind: 'flatten', name: 'flatten', input: 'input' },
      { kind: 'dense', name: 'fc1', input: 'flatten', units: hidden, activation: 'relu' },
      { kind: 'dense', name: 'fc2', input: 'fc1', units: numClasses, activation: 'none' },
    ],
    output: 'fc2',
    channelGroups: [
      { id: 'g1', size: hidden, producers: [{ weight: 'fc1', axis: 1 }], passthrough: [], consumers: [{ weight: 'fc2', axis: 0 }] },
    ],
  };
}

export function modelSpec(name: string, inputShape: number[], numClasses: number): ModelSpec {
  switch (name) {
    case 'ds-cnn':
      return dsCnn(inputShape, numClasses);
    case 'ds-cnn-32':
      return { ...dsCnn(inputShape, numClasses, 32), name: 'ds-cnn-32' };
    case 'resnet':
      return resnet(inputShape, numClasses);
    case 'mlp':
      return mlp(inputShape, numClasses);
    default:
      throw new Error(`unknown model '${name}' (known: ${MODEL_NAMES.join(', ')})`);
  }
}
