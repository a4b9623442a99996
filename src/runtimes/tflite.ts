// The 'tflite' runtime: TensorFlow Lite 2.9.0's C library (x86-64), built-in kernels, one thread, one interpreter
// reused for a whole batch. This is the reference pqk's exported files must match bit for bit.
import { loadTflite, TFLITE_TYPE, type Ptr, type TfliteLib } from './tflite-lib.js';
import { asBytes, splitSample } from './samples.js';
import type { RunResult, Runtime } from './types.js';
import { identifierProblem } from '../tflite/identifier.js';

export interface TensorInfo {
  name: string;
  type: number; // TfLiteType
  bytes: number;
}

const TYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'int32', 3: 'uint8', 9: 'int8', 17: 'int4' };

export function tfliteTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TfLiteType ${type}`;
}

// One model loaded into one interpreter; close() frees everything native.
export class TfliteSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];

  private constructor(
    private readonly lib: TfliteLib,
    private readonly handles: { data: Ptr; model: Ptr; options: Ptr; interp: Ptr },
  ) {
    const i = handles.interp;
    this.inputs = range(lib.inputCount(i)).map((k) => this.info(lib.inputTensor(i, k)));
    this.outputs = range(lib.outputCount(i)).map((k) => this.info(lib.outputTensor(i, k)));
  }

  static open(model: Uint8Array): TfliteSession {
    const lib = loadTflite();
    lib.drainMessages();
    const { ptr: data, view } = lib.alloc(model.length);
    view.set(model);
    const model_ = lib.modelCreate(data, model.length);
    if (!model_) {
      lib.free(data);
      throw new Error(`TFLite rejected the model (${model.length} bytes): not a valid TFLite flatbuffer${flatbufferHint(model)}`);
    }
    const options = lib.optionsCreate();
    lib.optionsSetNumThreads(options, 1);
    lib.optionsSetErrorReporter(options, lib.reporter, null);
    const interp = lib.interpreterCreate(model_, options);
    const fail = (what: string): never => {
      if (interp) lib.interpreterDelete(interp);
      lib.optionsDelete(options);
      lib.modelDelete(model_);
      lib.free(data);
      throw new Error(`TFLite rejected the model: ${what}${reporterText(lib.drainMessages())}`);
    };
    if (!interp) return fail('TfLiteInterpreterCreate failed');
    if (lib.allocateTensors(interp) !== 0) return fail('AllocateTensors failed');
    return new TfliteSession(lib, { data, model: model_, options, interp });
  }

  // Runs one sample: one byte array per model input; returns a copy of each output's bytes.
  invoke(inputs: Uint8Array[]): Uint8Array[] {
    const { lib, handles } = this;
    inputs.forEach((bytes, k) => {
      if (lib.copyFromBuffer(lib.inputTensor(handles.interp, k), bytes, bytes.length) !== 0) {
        throw new Error(`TFLite: cannot copy ${bytes.length} bytes into input ${k} '${this.inputs[k].name}'`);
      }
    });
    if (lib.invoke(handles.interp) !== 0) throw new Error(`TFLite: Invoke failed${reporterText(lib.drainMessages())}`);
    return this.outputs.map((o, k) => {
      const out = new Uint8Array(o.bytes);
      lib.copyToBuffer(lib.outputTensor(handles.interp, k), out, o.bytes);
      return out;
    });
  }

  expectTypes(type: number, api: string): void {
    for (const t of [...this.inputs, this.outputs[0]]) {
      if (t.type !== type) {
        throw new Error(`${api} needs ${tfliteTypeName(type)} I/O; tensor '${t.name}' is ${tfliteTypeName(t.type)}`);
      }
    }
  }

  close(): void {
    const { lib, handles } = this;
    lib.interpreterDelete(handles.interp);
    lib.optionsDelete(handles.options);
    lib.modelDelete(handles.model);
    lib.free(handles.data);
  }

  private info(t: Ptr): TensorInfo {
    return { name: this.lib.tensorName(t), type: this.lib.tensorType(t), bytes: this.lib.tensorByteSize(t) };
  }
}

export class TfliteRuntime implements Runtime {
  readonly name = 'tflite';

  get version(): string {
    return `TFLite ${loadTflite().version()}`;
  }

  // Each sample is the int8 bytes of the model's inputs, concatenated in input order (one input: just its bytes).
  async run(model: Uint8Array, inputs: Int8Array[]): Promise<RunResult> {
    const outputs = withSession(model, (s) => {
      s.expectTypes(TFLITE_TYPE.int8, "the tflite runtime's run()");
      return inputs.map((x, n) => {
        const out = s.invoke(splitSample(s.inputs, asBytes(x), `sample ${n}`))[0];
        return new Int8Array(out.buffer, out.byteOffset, out.length);
      });
    });
    return { runtime: this.name, outputs, version: this.version };
  }

  // For models with float32 inputs and output (e.g. QUANTIZE ... DEQUANTIZE at the ends).
  async runFloat(model: Uint8Array, inputs: Float32Array[]): Promise<Float32Array[]> {
    return withSession(model, (s) => {
      s.expectTypes(TFLITE_TYPE.float32, "the tflite runtime's runFloat()");
      return inputs.map((x, n) => {
        const out = s.invoke(splitSample(s.inputs, asBytes(x), `sample ${n}`))[0];
        return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
      });
    });
  }

  // The model's input and output tensors as the interpreter sees them.
  async describe(model: Uint8Array): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] }> {
    return withSession(model, (s) => ({ inputs: s.inputs, outputs: s.outputs }));
  }
}

function withSession<T>(model: Uint8Array, fn: (s: TfliteSession) => T): T {
  const s = TfliteSession.open(model);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function reporterText(messages: string[]): string {
  return messages.length > 0 ? `: ${messages.join('; ').trim()}` : '';
}

// A TFLite file carries the identifier 'TFL3' at byte 4; say so when it does not.
function flatbufferHint(model: Uint8Array): string {
  const problem = identifierProblem(model);
  return problem ? ` (${problem})` : '';
}
