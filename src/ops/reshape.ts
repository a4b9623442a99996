// RESHAPE: the output's shape is in the model; the values move unchanged (an optional second input holds the shape).
import { reshapeKernel } from '../int/quantize-op.js';
import { BuiltinOperator, BuiltinOptions, ReshapeOptions } from '../tflite/generated/index.js';
import { vec } from '../tflite/table-spec.js';
import type { QOp } from '../int/graph.js';
import { optionsTable, type FloatLowering, type OpDescriptor } from './descriptor.js';

// RESHAPE, SQUEEZE and EXPAND_DIMS only rename a shape. pqk's blocks hold maps ([1, H, W, C]) and vectors ([1, C]):
// a flatten turns a map into a vector, an expand a vector into a 1x1 map; a step through [1, 1, C] (converters add
// or drop one dimension at a time) keeps what its input was.
export function importShapeOp(l: FloatLowering, op: QOp): void {
  const input = op.inputs[0]!;
  const [inShape, out] = [l.shape(input), l.shape(op.outputs[0]!)];
  const ones = (s: number[]): boolean => s[0] === 1 && s.slice(0, -1).every((d) => d === 1);
  const kind = l.holds(input);
  let body: 'flatten' | 'expand' | undefined;
  let outKind = kind;
  if (out.length === 2 && out[0] === 1) [body, outKind] = [kind === 'map' ? 'flatten' : undefined, 'vector'];
  else if (out.length === 4 && ones(out) && kind === 'vector') [body, outKind] = ['expand', 'map'];
  else if (!(ones(out) && ones(inShape) && out.length <= 4))
    throw l.error(
      `pqk imports ${op.op} of a map to [1, N] (a flatten), of [1, C] to [1, 1, 1, C] and steps between them only, got [${inShape}] to [${out}]`,
    );
  if (body) l.emit(l.activation(), [{ op: body, input: '' }]);
  else l.alias(l.activation());
  l.setHolds(outKind);
}

export const reshape: OpDescriptor<'RESHAPE'> = {
  name: 'RESHAPE',
  code: BuiltinOperator.RESHAPE,
  optionsType: BuiltinOptions.ReshapeOptions,
  optionsTable: { name: 'ReshapeOptions', fields: { 0: ['new_shape', vec(4)] } },
  encode: (b, o) => ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, o.newShape)),
  decode(op) {
    const o = optionsTable(op, () => new ReshapeOptions());
    const newShape: number[] = [];
    for (let i = 0; o && i < o.newShapeLength(); i++) newShape.push(o.newShape(i)!);
    return { newShape };
  },
  inputs: [1, 2],
  optionalInputs: [],
  version: () => 1,
  runtimeVersions: ['1.5.0'],
  macs: () => 0,
  kernel: reshapeKernel,
  micro: 'pqk_kernel_reshape',
  importFloat: importShapeOp,
};
