// The integer arithmetic's public surface (the kernels are run through src/ops, which holds the interpreter): the
// quantization arithmetic (multipliers, rounding, weight and bias quantization) the rest of pqk shares with it.

export type { Flavor } from './common.js';
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
