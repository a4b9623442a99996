// What every runtime that executes a .tflite file returns. Judging the outputs is not a runtime's job.

export interface RunResult {
  runtime: string; // 'tflite', 'litert', 'arm64', 'qemu:cortex-m4', ...
  outputs: Int8Array[]; // one flattened int8 output (the model's first output) per input sample
  // Optional measurements, filled by runtimes that can take them.
  instructionsPerInference?: number[]; // one per sample
  // mean over samples, per node; firmware runtimes add the arena bytes live while the node runs
  instructionsPerOp?: { op: string; node: number; instructions: number; arenaLiveBytes?: number }[];
  arenaBytes?: number;
  flashBytes?: number;
  ramBytes?: number;
  stackBytes?: number; // of ramBytes, the stack the image reserves
  version?: string; // runtime version string (TFLite 2.9.0, QEMU 7.2.x, ...)
  bundleSha256?: string; // firmware runtimes: the C bundle the image was built from
}

export interface RunOptions {
  // Use the optimized (DSP/MVE) kernels where the runtime has them; plain C otherwise.
  optimized?: boolean;
  // Firmware runtimes: build from this C bundle (a run's deploy/ folder) instead of one written for the model.
  bundle?: { dir: string; files: string[]; sha256: string };
}

export interface Runtime {
  name: string;
  run(model: Uint8Array, inputs: Int8Array[], opts?: RunOptions): Promise<RunResult>;
}
