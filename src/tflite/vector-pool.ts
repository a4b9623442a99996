// Small vectors the writer shares or places with care: equal int32 vectors (shapes, op I/O lists) are written once,
// and scale vectors are written early when one exactly fills the hole that the next 16-byte-aligned constant
// buffer would otherwise pad with zeros.
import type * as flatbuffers from 'flatbuffers';
import type { QTensor } from '../int/graph.js';
import { QuantizationParameters } from './generated/index.js';

export const BUFFER_ALIGN = 16; // schema: Buffer.data (force_align: 16); flatc's TypeScript ignores force_align

export class VectorPool {
  private readonly ints = new Map<string, flatbuffers.Offset>();
  private readonly scales = new Map<number, flatbuffers.Offset>(); // tensor index -> scale vector

  constructor(
    private readonly b: flatbuffers.Builder,
    private readonly tensors: readonly QTensor[],
  ) {}

  int32(values: readonly number[]): flatbuffers.Offset {
    const key = values.join(',');
    let off = this.ints.get(key);
    if (off === undefined) {
      this.b.startVector(4, values.length, 4);
      for (let i = values.length - 1; i >= 0; i--) this.b.addInt32(values[i]!);
      off = this.b.endVector();
      this.ints.set(key, off);
    }
    return off;
  }

  scale(tensor: number): flatbuffers.Offset {
    let off = this.scales.get(tensor);
    if (off === undefined) {
      off = QuantizationParameters.createScaleVector(this.b, this.tensors[tensor]!.scale);
      this.scales.set(tensor, off);
    }
    return off;
  }

  // Called before writing a `length`-byte aligned buffer: if the alignment would pad p > 0 bytes, writes a pending
  // scale vector of 4 + 4n = p (mod 16) bytes there instead, so those bytes carry data.
  fillHoleBefore(length: number): void {
    const hole = (BUFFER_ALIGN - ((this.b.offset() + length) % BUFFER_ALIGN)) % BUFFER_ALIGN;
    if (hole === 0 || this.b.offset() % 4 !== 0) return;
    const fits = this.tensors.findIndex(
      (t, i) => t.scale.length > 0 && !this.scales.has(i) && (4 + 4 * t.scale.length) % BUFFER_ALIGN === hole,
    );
    if (fits >= 0) this.scale(fits);
  }
}
