// Channel groups derived from a model's layers (what an imported model gets) equal the ones the zoo writes by hand
// for DS-CNN, the ResNet (residual adds keep their channels) and the MLP; a path into the output or an add makes none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveChannelGroups, type ChannelGroup, type ModelSpec } from '../../src/models/spec.js';
import { modelSpec } from '../../src/models/zoo.js';

const key = (g: ChannelGroup): string => JSON.stringify({ ...g, id: undefined });

for (const [name, shape] of [
  ['ds-cnn', [49, 10, 1]],
  ['resnet', [28, 28, 1]],
  ['mlp', [8, 8, 1]],
] as const) {
  test(`derived channel groups equal the zoo's for ${name}`, () => {
    const spec = modelSpec(name, [...shape], 12);
    const derived = deriveChannelGroups(spec);
    assert.ok(derived.length > 0);
    assert.deepEqual(derived.map(key).sort(), spec.channelGroups.map(key).sort());
  });
}

test('a flatten of a spatial map makes the dense consumer read interleaved channels; an add or the output makes no group', () => {
  const spec: Omit<ModelSpec, 'channelGroups'> = {
    name: 'imported',
    inputShape: [4, 4, 1],
    numClasses: 3,
    nodes: [
      {
        kind: 'conv',
        name: 'c1',
        input: 'input',
        filters: 6,
        kernel: [3, 3],
        stride: [2, 2],
        padding: 'same',
        bn: false,
        activation: 'relu',
      },
      { kind: 'conv', name: 'c2', input: 'c1', filters: 6, kernel: [1, 1], stride: [1, 1], padding: 'same', bn: false, activation: 'none' },
      { kind: 'add', name: 'sum', inputs: ['c1', 'c2'], activation: 'relu' },
      {
        kind: 'conv',
        name: 'c3',
        input: 'sum',
        filters: 5,
        kernel: [1, 1],
        stride: [1, 1],
        padding: 'same',
        bn: false,
        activation: 'relu',
      },
      { kind: 'maxpool', name: 'p', input: 'c3', size: [2, 1], stride: [2, 1], padding: 'valid' },
      { kind: 'flatten', name: 'f', input: 'p' },
      { kind: 'dense', name: 'fc', input: 'f', units: 3, activation: 'none' },
    ],
    output: 'fc',
  };
  assert.deepEqual(deriveChannelGroups(spec), [
    {
      id: 'g-c3',
      size: 5,
      producers: [{ weight: 'c3', axis: 3 }],
      passthrough: [],
      consumers: [{ weight: 'fc', axis: 0, expand: 'interleaved' }],
    },
  ]);
});
