// The 'litert' runtime: LiteRT.js (WebAssembly, XNNPACK kernels) in Node. It accepts INT4 weights in
// FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D, which TFLite 2.9 rejects, and is checked against the integer
// reference by mismatch rate rather than bit for bit.
//
// int8 I/O: LiteRT.js's Tensor class maps element types through a table of float32/int32/uint8 only, so the
// CompiledModel wrapper throws on int8 inputs or outputs. This runtime works one level down, on the wasm
// bindings: it creates host-memory LiteRtTensorBuffers with the model's own tensor types, writes each sample's int8
// bytes into the wasm heap through the buffer's lock() address, runs the compiled model, and copies output bytes
// out the same way. No dtype conversion happens, so int8 values pass through unchanged.
import { loadLiteRtNode, type LiteRtNode } from './litert-loader.js';
import { asBytes, splitSample } from './samples.js';
import type { RunResult, Runtime } from './types.js';

type Wasm = LiteRtNode['wasm'];
type CompiledModel = Awaited<ReturnType<Wasm['compileModel']>>;
type Model = ReturnType<Wasm['loadModel']>;
type TensorBuffer = InstanceType<Wasm['LiteRtTensorBuffer']>;

// litert::ElementType values (LiteRT's own numbering; int4 is 18 here, 17 in the flatbuffer schema).
const ELEMENT = { float32: 1, int8: 9 } as const;
const ELEMENT_NAMES: Record<number, string> = { 1: 'float32', 2: 'int32', 3: 'uint8', 9: 'int8', 18: 'int4' };

interface TensorSlot {
  name: string;
  type: number; // litert::ElementType
  bytes: number;
}

class LiteRtSession {
  private constructor(
    private readonly rt: LiteRtNode,
    private readonly handles: { ptr: number; model: Model; compiled: CompiledModel; inputBuffers: TensorBuffer[] },
    readonly inputs: TensorSlot[],
    readonly output: TensorSlot,
  ) {}

  static async open(model: Uint8Array): Promise<LiteRtSession> {
    const rt = await loadLiteRtNode();
    const { wasm, env } = rt;
    rt.drainLogs();
    const ptr = wasm._malloc(model.length);
    wasm.HEAPU8.set(model, ptr);
    let m: Model | undefined;
    let compiled: CompiledModel | undefined;
    try {
      m = wasm.loadModel(env.liteRtEnvironment, ptr, model.length);
      // cpuOptions and environment are read by the bindings though the declared option type omits them.
      const options = { environment: env, accelerator: 'wasm', cpuOptions: { numThreads: 1 }, gpuOptions: {}, webNNOptions: {} };
      compiled = await wasm.compileModel(env.liteRtEnvironment, m, options as Parameters<Wasm['compileModel']>[2]);
      const n = inputCount(m);
      const inputTypes = Array.from({ length: n }, (_, k) => m!.getInputTensorType(0, k));
      const inputBuffers = inputTypes.map((t) =>
        wasm.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, wasm.LiteRtTensorBufferType.HOST_MEMORY, t, t.bytes()),
      );
      const inputs = inputTypes.map((t, k) => ({ name: `input ${k}`, type: t.elementType().value as number, bytes: t.bytes() }));
      const outType = m.getOutputTensorType(0, 0);
      const output = { name: 'output 0', type: outType.elementType().value as number, bytes: outType.bytes() };
      [...inputTypes, outType].forEach((t) => t.delete());
      return new LiteRtSession(rt, { ptr, model: m, compiled, inputBuffers }, inputs, output);
    } catch (e) {
      compiled?.delete();
      m?.delete();
      wasm._free(ptr);
      throw new Error(`LiteRT rejected the model: ${errorText(e)}${logText(rt.drainLogs())}`);
    }
  }

  // One sample: one byte array per model input; returns the first output's bytes.
  async invoke(inputs: Uint8Array[]): Promise<Uint8Array> {
    const { wasm } = this.rt;
    const { compiled, inputBuffers } = this.handles;
    inputs.forEach((bytes, k) => {
      const at = inputBuffers[k].lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      wasm.HEAPU8.set(bytes, at);
      inputBuffers[k].unlock();
    });
    let outs: TensorBuffer[];
    try {
      outs = await compiled.run(0, inputBuffers);
    } catch (e) {
      throw new Error(`LiteRT: run failed: ${errorText(e)}${logText(this.rt.drainLogs())}`);
    }
    try {
      const at = outs[0].lock(wasm.LiteRtTensorBufferLockMode.READ);
      const out = wasm.HEAPU8.slice(at, at + outs[0].packedSize());
      outs[0].unlock();
      return out;
    } finally {
      outs.forEach((b) => b.delete());
    }
  }

  expectTypes(type: number, api: string): void {
    for (const t of [...this.inputs, this.output]) {
      if (t.type !== type)
        throw new Error(`${api} needs ${ELEMENT_NAMES[type]} I/O; ${t.name} is ${ELEMENT_NAMES[t.type] ?? `element type ${t.type}`}`);
    }
  }

  close(): void {
    const { wasm } = this.rt;
    this.handles.inputBuffers.forEach((b) => b.delete());
    this.handles.compiled.delete();
    this.handles.model.delete();
    wasm._free(this.handles.ptr);
  }
}

export class LiteRtRuntime implements Runtime {
  readonly name = 'litert';

  // Each sample is the int8 bytes of the model's inputs, concatenated in input order.
  async run(model: Uint8Array, inputs: Int8Array[]): Promise<RunResult> {
    const outputs = await withSession(model, ELEMENT.int8, "the litert runtime's run()", async (s) => {
      const out: Int8Array[] = [];
      for (const [n, x] of inputs.entries()) {
        const y = await s.invoke(splitSample(s.inputs, asBytes(x), `sample ${n}`));
        out.push(new Int8Array(y.buffer, y.byteOffset, y.length));
      }
      return out;
    });
    return { runtime: this.name, outputs, version: (await loadLiteRtNode()).version };
  }

  // For models with float32 inputs and output.
  async runFloat(model: Uint8Array, inputs: Float32Array[]): Promise<Float32Array[]> {
    return withSession(model, ELEMENT.float32, "the litert runtime's runFloat()", async (s) => {
      const out: Float32Array[] = [];
      for (const [n, x] of inputs.entries()) {
        const y = await s.invoke(splitSample(s.inputs, asBytes(x), `sample ${n}`));
        out.push(new Float32Array(y.buffer, y.byteOffset, y.length / 4));
      }
      return out;
    });
  }
}

function inputCount(m: Model): number {
  const sig = m.getSignature(0);
  const names = sig.inputNames();
  const n = names.size();
  names.delete();
  sig.delete();
  return n;
}

async function withSession<T>(model: Uint8Array, type: number, api: string, fn: (s: LiteRtSession) => Promise<T>): Promise<T> {
  const s = await LiteRtSession.open(model);
  try {
    s.expectTypes(type, api);
    return await fn(s);
  } finally {
    s.close();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// Only the runtime's warnings and errors help explain a failure; its INFO lines are noise.
function logText(lines: string[]): string {
  const useful = lines.filter((l) => !l.startsWith('INFO:'));
  return useful.length > 0 ? ` (${useful.join('; ')})` : '';
}
