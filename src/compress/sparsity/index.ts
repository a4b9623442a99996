// Public surface of the sparsity module: masks (unstructured, N:M, channel), schedules and reports.
export type {
  ChannelGroup,
  ChannelMaskResult,
  ChannelOptions,
  ChannelSliceRef,
  MaskResult,
  PolicyOptions,
  PrunableKind,
  PrunableWeight,
  UnstructuredOptions,
} from './types.js';
export { sparsityOf, targetLevel, withMasks } from './policy.js';
export { lampScores, unstructuredMasks, zerosFor } from './magnitude.js';
export { nmKeep, nmMasks } from './nm.js';
export { channelMasks, channelsKept } from './channel.js';
export { pqkSteps, polynomialDecay, type PolynomialDecay, type PolynomialDecayOptions, type StepRule } from './schedule.js';
export { sparsityReport, type LayerSparsity, type SparsityReport } from './report.js';
