// PAD: int8, constant paddings (int32 [rank, 2]: before and after per dimension), rank 1..4. The values are copied
// unchanged and the border takes the output's zero point, which is what TFLite's and TFLite Micro's int8 PAD (no
// constant_values input) compute: no rescaling, so a converter keeps input and output quantization equal.
import {
  activationParams,
  constantData,
  expectShape,
  fail,
  inputTensor,
  outputTensor,
  type KernelContext,
  type OpKernel,
} from '../int/common.js';
import { BuiltinOperator, BuiltinOptions, PadOptions } from '../tflite/generated/index.js';
import { emptyTable } from '../tflite/table-spec.js';
import { int8IsVersion2, type OpDescriptor } from './descriptor.js';
import { nhwcPads } from '../import/prims.js';

declare module '../int/graph.js' {
  interface OpOptionsMap {
    PAD: Record<string, never>;
  }
}

interface PadParams {
  inDims: number[]; // padded on the left to rank 4
  outDims: number[];
  before: number[];
  value: number;
}

function preparePad(ctx: KernelContext): PadParams {
  const [input, paddings, output] = [inputTensor(ctx, 0), inputTensor(ctx, 1), outputTensor(ctx)];
  activationParams(ctx, input);
  const out = activationParams(ctx, output);
  const rank = input.shape.length;
  if (rank < 1 || rank > 4) fail(ctx, `PAD of a rank-${rank} tensor: pqk pads ranks 1 to 4`);
  if (paddings.dtype !== 'int32') fail(ctx, `paddings '${paddings.name}' is ${paddings.dtype}, expected int32`);
  expectShape(ctx, paddings, [rank, 2]);
  const p = constantData(ctx, paddings, Int32Array);
  const before = Array.from({ length: rank }, (_, d) => p[2 * d]!);
  const after = Array.from({ length: rank }, (_, d) => p[2 * d + 1]!);
  if ([...before, ...after].some((v) => v < 0)) fail(ctx, `negative padding [${Array.from(p).join(', ')}]`);
  expectShape(
    ctx,
    output,
    input.shape.map((n, d) => n + before[d]! + after[d]!),
  );
  const lead = (xs: number[], fill: number) => [...Array<number>(4 - rank).fill(fill), ...xs];
  return { inDims: lead(input.shape, 1), outDims: lead(output.shape, 1), before: lead(before, 0), value: out.zeroPoint };
}

function pad(p: PadParams, x: Int8Array): Int8Array {
  const [o0, o1, o2, o3] = p.outDims as [number, number, number, number];
  const [i0, i1, i2, i3] = p.inDims as [number, number, number, number];
  const [b0, b1, b2, b3] = p.before as [number, number, number, number];
  const y = new Int8Array(o0 * o1 * o2 * o3).fill(p.value);
  for (let a = 0; a < i0; a++)
    for (let b = 0; b < i1; b++)
      for (let c = 0; c < i2; c++) {
        const src = ((a * i1 + b) * i2 + c) * i3;
        const dst = (((a + b0) * o1 + (b + b1)) * o2 + (c + b2)) * o3 + b3;
        y.set(x.subarray(src, src + i3), dst);
      }
  return y;
}

const padKernel: OpKernel = {
  prepare(ctx) {
    const p = preparePad(ctx);
    return (inputs) => pad(p, inputs[0] as Int8Array);
  },
};

export const padOp: OpDescriptor<'PAD'> = {
  name: 'PAD',
  code: BuiltinOperator.PAD,
  optionsType: BuiltinOptions.PadOptions,
  optionsTable: emptyTable('PadOptions'),
  encode(b) {
    PadOptions.startPadOptions(b);
    return PadOptions.endPadOptions(b);
  },
  decode: () => ({}),
  inputs: [2, 2],
  optionalInputs: [],
  version: (s) => ((s.inputRanks[0] ?? 0) > 4 ? 4 : int8IsVersion2(s)),
  runtimeVersions: ['1.5.0', '1.14.0', '2.4.0', '2.6.0'],
  macs: () => 0,
  kernel: padKernel,
  micro: 'pqk_kernel_pad_s8',
  importFloat(l, op) {
    const p = l.constant(1, 'paddings').data;
    const pads = l.shape(op.inputs[0]!).length === 4 ? nhwcPads(p) : undefined;
    if (!pads) throw l.error(`pqk imports PAD of height and width of an NHWC tensor only, got paddings [${[...p]}]`);
    l.emit(l.activation(), [{ op: 'pad', input: '', pads }]);
  },
};
