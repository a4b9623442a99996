// The run report: what one `pqk run` produced and whether it met its target. report.json holds exactly this object;
// its keys are stable (a key that changes meaning bumps reportVersion), and a figure that was not measured is null,
// never absent, so CI scripts can read any key without guarding.

export const REPORT_VERSION = 1;

export type Verdict = 'pass' | 'fail' | 'skip';
export type BudgetUnit = 'bytes' | 'instructions' | 'ms' | 'accuracy' | 'values' | 'lsb' | 'ops';
export type StageName = 'float' | 'phase1' | 'phase2' | 'phase2-ce';

export interface RunReport {
  reportVersion: number; // REPORT_VERSION of the writer
  pqkVersion: string;
  createdAt: string; // ISO 8601, UTC
  target: string; // profile name, as in targets/<name>.json
  seed: number | null;
  dataset: DatasetInfo;
  versions: Versions;
  stages: StageReport[]; // in run order; a stage that did not run is absent
  verification: Record<string, RuntimeVerification>; // keyed by runtime name: 'tflite', 'litert', 'arm64', 'qemu:cortex-m4'
  model: ModelFigures;
  // Every budget of the target, then device memory, then one exactness check per runtime of the target.
  budgets: BudgetResult[];
  ok: boolean; // no entry of budgets failed
  // The stage whose student model.tflite holds, and why (absent in reports older than the choice).
  shipped?: { stage: StageName; reason: string };
  // The C bundle written beside the model for a microcontroller target (folder relative to the run, file count,
  // sha256 over every file's path and bytes).
  deploy?: { dir: string; files: number; sha256: string };
  // A model judged by `pqk check` (a file pqk may not have written, no training stages): where its inputs came from
  // and whether they had labels. Accuracy budgets need labels; the accuracy drop needs a float stage, which a checked
  // model never has; so these are not applicable to it rather than unmeasured.
  check?: { inputs: 'data' | 'npy' | 'random'; labelled: boolean; file: string };
  // The earlier report this one was compared with (pqk run / pqk check --baseline); its 'baseline.*' entries are
  // among the budgets.
  baseline?: { file: string; tolerance: { bytes: number; instructions: number; accuracy: number } };
  // The float model and the shipped student (its integer reference, which every exact runtime equals) sample by
  // sample on the whole test split: how much of the accuracy drop chance could explain (absent in older reports).
  accuracyDrop?: PairedDrop;
}

// Two models scored on the same samples: those only the float model gets right, those only the integer model gets
// right, and the standard error of the accuracy difference that follows (0..1): with d_i = float_i - int_i,
// sqrt((mean(d^2) - mean(d)^2) / n), mean(d^2) = (floatOnly + integerOnly) / n.
export interface PairedDrop {
  samples: number;
  floatOnly: number;
  integerOnly: number;
  standardError: number;
}

export interface DatasetInfo {
  name: string; // Dataset.name: 'speech-commands:<dir>', 'mnist', ...; 'random', 'npy:<file>' for pqk check
  task: 'kws' | 'image' | 'none'; // 'none': inputs that are no dataset (pqk check --random / --inputs)
  classes: number;
  train: number; // sample counts per split
  val: number;
  test: number;
  labels?: string[]; // class names in class order (older reports lack them)
}

// Versions of what produced and judged the model; null when that part was not used.
export interface Versions {
  pqk: string;
  tfjsBackend: string | null; // 'tensorflow (tfjs-node 4.22.0)', 'cpu', ...
  tflite: string | null; // TFLite C runtime, '2.9.0'
  qemu: string | null; // 'QEMU emulator version 7.2.x'
}

export interface StageReport {
  name: StageName;
  accuracy: number; // 0..1 on the test split; float for 'float', fake-quant for phase1/phase2
  seconds: number; // wall time of the stage
  epochs: number | null;
  sparsity: number | null; // fraction of prunable weights that are zero at the end of the stage
  loss: number | null; // last training loss
  valAccuracy?: number | null; // 0..1 on the validation split at the end of the stage (what the shipped student is chosen by)
}

export interface RuntimeVerification {
  accuracy: number | null; // 0..1, argmax of the runtime's outputs against the test labels; null without labels
  samples: number;
  mismatches: number; // int8 output values (over all samples) that differ from the TS integer reference
  maxDiff: number; // largest |runtime - reference| over all outputs, in LSB
  instructionsPerInference: InstructionStats | null;
  instructionsPerOp: OpInstructions[] | null; // mean over samples, in execution order
  arenaBytes: number | null; // tensor arena the runtime planned
  flashBytes: number | null; // firmware image (code + model) for MCU runtimes
  ramBytes: number | null; // static RAM of the image plus the arena
  stackBytes?: number; // of ramBytes, the stack the firmware image reserves (MCU runtimes; older reports lack it)
  version: string | null;
  reference?: string; // the integer reference's flavour it was compared with (x86-64, arm64, litert, tflm); older reports lack it
  audio?: AudioVerification; // a KWS model run from raw audio through the MFCC frontend on the device
  bundleSha256?: string; // firmware runtimes: the C bundle the verified image was compiled from
  // With labels: counts of (true class, predicted class) over the samples, rows true, columns predicted (argmax of
  // the runtime's int8 outputs, the first of equal values). Older reports lack it.
  confusion?: number[][];
}

// The same test clips as 16 kHz PCM through the C MFCC frontend on the board, then the model.
export interface AudioVerification {
  clips: number;
  accuracyFromAudio: number; // 0..1, the board's predictions from its own features
  accuracyFromFeatures: number; // 0..1, the integer reference on the host frontend's features (what `accuracy` measures)
  predictionsDiffering: number; // clips whose predicted class differs between the two
  featureValuesDiffering: number; // int8 input values where the board's frontend and the host's differ
  featureValues: number; // int8 input values compared
  mismatches: number; // model output values that differ from the integer reference on the board's own features
  frontendInstructions: InstructionStats | null; // per clip (one second of audio)
  endToEndInstructions: InstructionStats | null; // frontend + model per clip
  frontendScratchBytes: number; // the frontend's float scratch
  audioBufferBytes: number; // one clip of int16 samples
}

export interface InstructionStats {
  min: number;
  mean: number;
  max: number; // budgets use the worst sample
}

export interface OpInstructions {
  op: string;
  node: number;
  instructions: number;
  arenaLiveBytes?: number; // firmware runtimes: arena bytes live while the op runs (its tensors and scratch)
}

export interface ModelFigures {
  name: string; // architecture: 'ds-cnn', 'lenet', ...
  file: string; // model.tflite path, relative to the run folder
  fileBytes: number; // size of the .tflite file: what goes into flash
  // A microcontroller target's model with packed 2:4 weights: the size of its device form (the packed weights without
  // their dense copy), which the board flashes instead of the file; absent where the board flashes the file.
  deviceBytes?: number;
  payloadBytes: number; // bytes of constant weights and biases inside it (int4 packed two per byte)
  macs: number; // multiply-accumulates per inference
  params: number; // weights and biases, zeros included
  sparsity: number; // zero fraction over all prunable weights
  sparsityPerLayer: LayerSparsity[];
  operators?: string[]; // the TFLite builtin operators the model uses, in order of first use (absent in older reports)
  layers?: LayerFigures[]; // one per op, in execution order (absent in older reports)
}

// One op of the model as the report's layer table shows it.
export interface LayerFigures {
  node: number; // index in execution order (the instructionsPerOp node)
  op: string; // 'CONV_2D', ...
  output: number[]; // shape of its first output
  macs: number;
  params: number; // constant weights and biases it reads, zeros included
  bytes: number; // those constants in the file (int4 packed two per byte)
  channels?: { kept: number; of?: number }; // output channels of a weighted op (of: before channel pruning, when known)
}

export interface LayerSparsity {
  layer: string; // weight tensor name
  op: string; // 'CONV_2D', ...
  weights: number;
  zeros: number;
  sparsity: number; // zeros / weights
}

export interface BudgetResult {
  name: string; // 'modelFlashBytes', ..., 'deviceFlashBytes', 'exact:tflite', 'baseline.fileBytes', 'baseline.deviceBytes', ...
  limit: number | null;
  value: number | null; // the measured figure; null when missing (verdict 'skip')
  unit: BudgetUnit;
  verdict: Verdict;
  message: string; // one line a person reads: value, limit, source
}

// The figures budgets are checked on: a report before its budgets are judged.
export type BudgetFigures = Pick<RunReport, 'stages' | 'verification' | 'model' | 'shipped'> &
  Partial<Pick<RunReport, 'dataset' | 'check' | 'accuracyDrop'>>;
