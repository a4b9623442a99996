// Recycles the multi-MB Float32Arrays of disposed tensors: fresh ones cost page faults and GC pressure each kernel.
// A buffer returns to the pool only when no tensor holds it (views included) and it never escaped through dataSync.

interface Entry { count: number; escaped: boolean; array: Float32Array }

const MIN_POOLED = 1 << 12; // elements; smaller arrays are cheap to allocate
const LIMIT_BYTES = 512 << 20;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly entries = new WeakMap<ArrayBufferLike, Entry>();
  private pooledBytes = 0;

  // Uninitialised: every native kernel writes all of its output.
  take(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const reused = this.free.get(n)?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    const buf = Buffer.allocUnsafeSlow(n * 4);
    const array = new Float32Array(buf.buffer, buf.byteOffset, n);
    this.entries.set(array.buffer, { count: 0, escaped: false, array });
    return array;
  }

  // A tensor now holds values (the array itself or a view of it).
  hold(values: unknown): void {
    const e = this.entryOf(values);
    if (e) e.count++;
  }

  // A tensor holding values was disposed.
  release(values: unknown): void {
    const e = this.entryOf(values);
    if (!e || --e.count > 0 || e.escaped || this.pooledBytes + e.array.byteLength > LIMIT_BYTES) return;
    const list = this.free.get(e.array.length) ?? [];
    list.push(e.array);
    this.free.set(e.array.length, list);
    this.pooledBytes += e.array.byteLength;
  }

  // values left the backend (dataSync, data, arraySync): never reuse it.
  escape(values: unknown): void {
    const e = this.entryOf(values);
    if (e) e.escaped = true;
  }

  private entryOf(values: unknown): Entry | undefined {
    return ArrayBuffer.isView(values) ? this.entries.get(values.buffer) : undefined;
  }
}

export const bufferPool = new BufferPool();
