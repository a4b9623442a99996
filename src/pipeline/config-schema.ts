// The JSON schemas of a `--config` file and of a run folder's run.json: every key a stage reads, with its type and
// range, so a typo or an impossible value is refused before any training starts.
import type { JsonSchema } from '../util/schema.js';

const int = (minimum: number, maximum: number): JsonSchema => ({ type: 'integer', minimum, maximum });
const positive = (maximum: number): JsonSchema => ({ type: 'number', exclusiveMinimum: 0, maximum });
const SEED = int(0, 2 ** 31 - 1);
const BATCH = int(1, 65536);
const EPOCHS = int(1, 10000);
const LR = positive(10);
const MODEL = { type: 'string', minLength: 1 };

const FLOAT: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: MODEL,
    epochs: EPOCHS,
    batchSize: BATCH,
    lr: LR,
    optimizer: { enum: ['adam', 'sgd'] },
    weightDecay: { type: 'number', minimum: 0, maximum: 1000 },
    seed: SEED,
  },
};

const PHASE1: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sparsity: { type: 'number', minimum: 0, maximum: 0.99 },
    pattern: { enum: ['unstructured', '2:4', '1:4', 'channel'] },
    rounds: int(1, 100),
    epochsPerRound: EPOCHS,
    finalEpochs: EPOCHS,
    lr: LR,
    batchSize: BATCH,
    scope: { enum: ['per-layer', 'global'] },
    skipFirst: { type: 'boolean' },
    skipLast: { type: 'boolean' },
    norm: { enum: ['l1', 'l2'] },
    importance: { enum: ['folded', 'lamp', 'raw', 'taylor'] },
    emaDecay: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    freezeRangesAfter: { type: 'number', minimum: 0, maximum: 1 },
    distill: { type: 'number', minimum: 0, maximum: 100 },
    distillTau: positive(100),
    weightDecay: { type: 'number', minimum: 0, maximum: 1000 },
    shadow: { type: 'boolean' },
    seed: SEED,
  },
};

const PHASE2: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    warmupEpochs: int(0, 10000),
    mutualEpochs: int(0, 10000),
    tau: positive(100),
    lambda: { type: 'number', minimum: 0, maximum: 100 },
    lrStudent: LR,
    lrTeacher: LR,
    batchSize: BATCH,
    teacherQuantizeActivations: { type: 'boolean' },
    teacherBatchNorm: { enum: ['batch', 'frozen'] },
    mode: { enum: ['pqk', 'warmup-only', 'ce'] },
    control: { enum: ['none', 'ce'] },
    ship: { enum: ['best', 'last'] },
    seed: SEED,
  },
};

// Training-split augmentation of a keyword-spotting set (src/data/augment.ts); what is not given keeps its default.
const AUGMENT: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    shiftMs: { type: 'number', minimum: 0, maximum: 500 },
    noiseProb: { type: 'number', minimum: 0, maximum: 1 },
    snrDb: { type: 'array', items: { type: 'number', minimum: -20, maximum: 100 }, minItems: 2, maxItems: 2 },
    copies: int(1, 100),
    speed: { type: 'array', items: { type: 'number', minimum: 0.5, maximum: 2 }, minItems: 2, maxItems: 2 },
    bandLimitProb: { type: 'number', minimum: 0, maximum: 1 },
  },
};

const COMMON = {
  model: MODEL,
  data: { type: 'string', minLength: 1 },
  seed: SEED,
  float: FLOAT,
  phase1: PHASE1,
  phase2: PHASE2,
  augment: AUGMENT,
};

// `pqk run --config FILE`: the settings a user may give.
export const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { $schema: { type: 'string' }, ...COMMON },
};

// run.json: the same settings plus what pqk records (the target, an imported model's details).
export const RUN_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...COMMON,
    format: { type: 'string' },
    target: { type: 'string', minLength: 1 },
    source: { type: 'string' },
    softmax: { type: 'boolean' },
    maxAbsDiff: { type: ['number', 'null'] },
    imported: { type: 'object' },
    inputShape: { type: 'array', items: { type: 'integer', minimum: 1 } },
    numClasses: { type: 'integer', minimum: 1 },
  },
};
