// The ops pqk knows and the integer reference that runs them: one descriptor per TFLite op (descriptor.ts says what
// one holds), the table built from them, and the interpreter that runs a QModel through their kernels.
export { descriptorOf, encodeOptions, kernelFor, OP_LIST, opCodeOf, opCosts, opMacs, OPS, weightsOf } from './table.js';
export type { OpCost } from './table.js';
export type { OpDescriptor, OpSignature } from './descriptor.js';
export { prepareModel, runBatch, runModel } from './interpreter.js';
export type { Flavor, Intermediate, PreparedModel, RunOptions, RunOutput } from './interpreter.js';
export { syntheticDsCnn } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
