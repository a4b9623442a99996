// A hardware target: what the model must fit and how it is quantized, pruned, run and judged there.
// The JSON files in targets/ are validated against targets/target.schema.json before they become this.
import type { OpCode } from '../int/graph.js';

export type SparsityPattern = 'unstructured' | '2:4' | '1:4' | 'channel';

export interface TargetProfile {
  name: string;
  description?: string;
  kind: 'mcu' | 'mobile';
  cpu: string; // 'cortex-m4', 'cortex-a53', ...
  emulator:
    | { type: 'qemu-system'; machine: string; cpu: string } // machine: 'mps2-an386'
    | { type: 'qemu-user'; binary: string }; // 'qemu-aarch64'
  clockMHz: number;
  cyclesPerInstruction: number; // instructions -> cycles factor for ms estimates
  memory: { flashBytes: number; ramBytes: number };
  quantization: {
    weightBits: 8 | 4;
    granularity: 'per-channel' | 'per-tensor';
    activationBits: 8;
  };
  sparsity: { pattern: SparsityPattern; level: number }; // level: fraction of weights removed, 0..1
  operators: OpCode[];
  runtimes: string[]; // verification runtimes: 'tflite', 'litert', 'arm64', 'qemu:cortex-m4', ...
  budgets: {
    modelFlashBytes?: number;
    arenaBytes?: number;
    instructionsPerInference?: number;
    endToEndInstructions?: number; // KWS: the MFCC frontend on one clip plus the model, worst clip
    msPerInference?: number;
    minAccuracy?: number; // 0..1, integer model on the test split
    maxAccuracyDrop?: number; // 0..1, float accuracy minus integer accuracy
  };
}
