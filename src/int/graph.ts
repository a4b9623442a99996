// The integer model: pqk's in-memory form of a fully quantized network. It mirrors a TFLite subgraph one to one
// (same tensor layouts, same quantization fields), so the writer, the reader, the integer reference and the
// runtimes all speak about the same object.

export type DType = 'int8' | 'int4' | 'int32' | 'float32';

export type Activation = 'NONE' | 'RELU' | 'RELU6';
export type Padding = 'SAME' | 'VALID';

export interface QTensor {
  name: string;
  // Layouts are TFLite's: activations NHWC; CONV_2D filter [O, KH, KW, I]; DEPTHWISE_CONV_2D filter [1, KH, KW, C*mult];
  // FULLY_CONNECTED weights [O, I]; biases [O].
  shape: number[];
  dtype: DType;
  // Quantization: one entry per tensor, or one per channel along quantizedDim. Empty for float32 / shape tensors.
  scale: number[];
  zeroPoint: number[];
  quantizedDim?: number;
  // Constant data. int4 values are held unpacked, one per Int8Array element, in [-8, 7]; packing is the writer's job.
  data?: Int8Array | Int32Array | Float32Array;
}

export interface ConvOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: Activation;
}

export interface DepthwiseOptions extends ConvOptions {
  depthMultiplier: number;
}

export interface PoolOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: Activation;
}

export interface FullyConnectedOptions {
  activation: Activation;
  keepNumDims: boolean;
}

export interface AddOptions {
  activation: Activation;
}

export interface MeanOptions {
  keepDims: boolean; // axes come from the op's second (int32 constant) input, as in TFLite
}

export interface ReshapeOptions {
  newShape: number[];
}

export interface SoftmaxOptions {
  beta: number;
}

// Each op's options, by TFLite op name: the ops whose kernels live in this folder are listed here; the descriptor of
// any other op (src/ops/pad.ts) adds its entry by declaration merging, so OpCode and QOp grow with the descriptors
// and adding an op edits nothing in this file.
export interface OpOptionsMap {
  CONV_2D: ConvOptions;
  DEPTHWISE_CONV_2D: DepthwiseOptions;
  FULLY_CONNECTED: FullyConnectedOptions;
  AVERAGE_POOL_2D: PoolOptions;
  MAX_POOL_2D: PoolOptions;
  MEAN: MeanOptions;
  ADD: AddOptions;
  RESHAPE: ReshapeOptions;
  SOFTMAX: SoftmaxOptions;
  QUANTIZE: Record<string, never>;
  DEQUANTIZE: Record<string, never>;
}

export type OpCode = keyof OpOptionsMap & string;

// One node of the graph: the op, its input and output tensor indices (-1 for an absent optional input), its options.
export type QOp = { [K in OpCode]: { op: K; inputs: number[]; outputs: number[]; options: OpOptionsMap[K] } }[OpCode];

export interface QModel {
  tensors: QTensor[];
  ops: QOp[]; // in execution order
  inputs: number[]; // tensor indices
  outputs: number[];
  // Free-form string metadata written into the flatbuffer's `metadata` entries (labels, target, frontend, ...).
  metadata: Record<string, string>;
  description?: string;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
