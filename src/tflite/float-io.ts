// Float32 model I/O: a QUANTIZE in front of each integer input and a DEQUANTIZE after each integer output, the way
// TFLite's converter wraps a fully integer graph when inference_input_type / inference_output_type stay float32.
import type { QModel, QOp, QTensor } from '../int/graph.js';

function floatTwin(t: QTensor): QTensor {
  return { name: `${t.name}_float`, shape: [...t.shape], dtype: 'float32', scale: [], zeroPoint: [] };
}

export function withFloatIO(model: QModel): QModel {
  const tensors = [...model.tensors];
  const before: QOp[] = [];
  const after: QOp[] = [];
  const inputs = model.inputs.map((i) => {
    if (tensors[i]!.dtype === 'float32') return i;
    const f = tensors.push(floatTwin(tensors[i]!)) - 1;
    before.push({ op: 'QUANTIZE', inputs: [f], outputs: [i], options: {} });
    return f;
  });
  const outputs = model.outputs.map((i) => {
    if (tensors[i]!.dtype === 'float32') return i;
    const f = tensors.push(floatTwin(tensors[i]!)) - 1;
    after.push({ op: 'DEQUANTIZE', inputs: [i], outputs: [f], options: {} });
    return f;
  });
  return { ...model, tensors, ops: [...before, ...model.ops, ...after], inputs, outputs };
}
