// The integer reference's public surface: run a QModel exactly as TensorFlow Lite 2.9 would, and the quantization
// arithmetic (multipliers, rounding, weight and bias quantization) the rest of pqk shares with it.

export { prepareModel, runBatch, runModel } from './interpreter.js';
export type { Flavor, Intermediate, PreparedModel, RunOptions, RunOutput } from './interpreter.js';
export { KERNELS, opCosts } from './registry.js';
export type { OpCost } from './registry.js';
export {
  chooseQuantParams,
  frexp,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierTiesUp,
  quantizeBias,
  quantizeMultiplier,
  quantizeValue,
  quantizeWeightsPerChannel,
  quantizeWeightsPerTensor,
  roundHalfAway,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  weightRange,
} from './quantize.js';
export type { QuantizedMultiplier, QuantizedWeights, QuantParams } from './quantize.js';
export { expf } from './expf.js';
export { syntheticDsCnn } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
