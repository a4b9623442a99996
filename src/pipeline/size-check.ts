// Before compression trains anything: can the model fit the target's flash at all? A lower bound of its .tflite
// payload (weights at the target's bit width, int32 biases) after the run's sparsity, against the part's flash (a
// refusal) and the model-size budget (a warning). Zeros of unstructured and N:M sparsity stay in a dense TFLite tensor, so
// only channel pruning shrinks the file: at level L a layer keeps at least (1 - L)^2 of its weights (both its input
// and output channels pruned) and (1 - L) of its biases. A microcontroller may flash N:M weights packed instead (the
// device form: 3/4 of their dense bytes), so there the bound takes 3/4 of every weight tensor's.
import type { Dataset } from '../data/types.js';
import { DataError, UserError, EXIT } from '../errors.js';
import { inferShapes, isWeightNode, outChannels, weightShape, type ModelSpec } from '../models/spec.js';
import { formatValue } from '../report/format.js';
import { checkpointExists, readCheckpointHeader } from '../train/checkpoint.js';
import { checkpointsDir } from './config.js';
import type { SparsityPattern, TargetProfile } from '../targets/types.js';

export interface SizeBound {
  params: number; // weights and biases of the dense model
  bytes: number; // the least the pruned int model's payload can take
}

// Output channels per weight tensor name ('<layer>/weights') of a model before pruning: the report's "kept of".
export function channelsPerWeights(spec: ModelSpec): Record<string, number> {
  const shapes = inferShapes(spec);
  const out: Record<string, number> = {};
  for (const n of spec.nodes) if (isWeightNode(n)) out[`${n.name}/weights`] = outChannels(n, shapes.get(n.input)!);
  return out;
}

export function minimumModelBytes(
  spec: ModelSpec,
  weightBits: 4 | 8,
  pattern: SparsityPattern,
  level: number,
  microcontroller = false,
): SizeBound {
  const shapes = inferShapes(spec);
  const keep = pattern === 'channel' ? 1 - level : 1;
  const packed = microcontroller && (pattern === '2:4' || pattern === '1:4') ? 3 / 4 : 1;
  let params = 0;
  let bytes = 0;
  for (const n of spec.nodes) {
    if (!isWeightNode(n)) continue;
    const inShape = shapes.get(n.input)!;
    const weights = weightShape(n, inShape).reduce((a, d) => a * d, 1);
    const channels = outChannels(n, inShape);
    params += weights + channels;
    bytes += (weights * keep * keep * packed * weightBits) / 8 + channels * keep * 4;
  }
  return { params, bytes: Math.ceil(bytes) };
}

// Throws (exit 3) when even the bound exceeds the part's flash: no run could end in a model that fits. When it
// exceeds only the model-size budget, logs a warning: the run goes on and its report fails the budget.
export function checkModelFits(
  spec: ModelSpec,
  target: TargetProfile,
  pattern: SparsityPattern,
  level: number,
  log: (line: string) => void,
): void {
  const microcontroller = target.emulator.type === 'qemu-system';
  const { params, bytes } = minimumModelBytes(spec, target.quantization.weightBits, pattern, level, microcontroller);
  const after = pattern === 'channel' && level > 0 ? ` after ${Math.round(level * 100)}% channel pruning` : '';
  const size = `its ${params.toLocaleString('en-US')} parameters take at least ${formatValue(bytes, 'bytes')} as int${target.quantization.weightBits}${after}`;
  if (bytes > target.memory.flashBytes) {
    throw new UserError(
      `the model cannot fit ${target.name}: ${size}, and /memory/flashBytes is ${formatValue(target.memory.flashBytes, 'bytes')}. Choose a smaller model, a higher channel sparsity (phase1.sparsity in --config, or pqk compress --sparsity) or a part with more flash`,
      EXIT.BUDGET_VIOLATION,
      'budget',
    );
  }
  const budget = target.budgets.modelFlashBytes;
  if (budget !== undefined && bytes > budget) {
    log(
      `warning: the model will not meet ${target.name}'s /budgets/modelFlashBytes: ${size}, over the ${formatValue(budget, 'bytes')} budget`,
    );
  }
}

// A run folder's stored model (its finished float stage, trained here or given with --from / pqk import), read from
// the checkpoint header alone (no weights, no data); undefined when the run has no float stage yet. Read once by
// pqk run and pqk compress for the checks before any work: checkModelFits, the images' size, checkDataFitsModel.
export function storedModelSpec(runDir: string): ModelSpec | undefined {
  const dir = checkpointsDir(runDir);
  return checkpointExists(dir, 'float') ? readCheckpointHeader(dir, 'float').spec : undefined;
}

// The stored model and the data it is about to be compressed on must agree on the input shape and the number of
// classes; otherwise the first batch would fail deep inside a kernel. Checked as soon as the data is loaded.
export function checkDataFitsModel(spec: ModelSpec, runDir: string, dataPath: string, data: Pick<Dataset, 'inputShape' | 'labels'>): void {
  const problems: string[] = [];
  if (spec.inputShape.join('x') !== data.inputShape.join('x'))
    problems.push(`the model takes ${spec.inputShape.join('x')} inputs, the data has ${data.inputShape.join('x')}`);
  if (spec.numClasses !== data.labels.length) problems.push(`the model has ${spec.numClasses} classes, the data ${data.labels.length}`);
  if (problems.length)
    throw new DataError(
      dataPath,
      `does not fit the model in ${runDir}: ${problems.join('; ')} (give --data a dataset of the model's shape, or train a new model on it)`,
    );
}
