// Recycles the multi-MB Float32Arrays of disposed tensors: fresh ones cost page faults and GC pressure each kernel.
// A buffer returns to the pool only when no tensor holds it (views included) and it never escaped through dataSync.
// Free buffers are kept per length, least recently used length first: when the pool is full, the lengths nothing has
// asked for longest are dropped (an evaluation at batch 256 must not leave the pool full of buffers a training step at
// batch 100 never takes, which turned every later allocation into fresh pages and halved the speed of QAT).

interface Entry {
  count: number;
  escaped: boolean;
  array: Float32Array;
}

const MIN_POOLED = 1 << 12; // elements; smaller arrays are cheap to allocate
const LIMIT_BYTES = 1024 << 20;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly entries = new WeakMap<ArrayBufferLike, Entry>();
  private pooledBytes = 0;

  // Uninitialised: every native kernel writes all of its output.
  take(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const list = this.free.get(n);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      this.touch(n, list!);
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
    if (!e || --e.count > 0 || e.escaped || e.array.byteLength > LIMIT_BYTES) return;
    const n = e.array.length;
    const list = this.free.get(n) ?? [];
    this.touch(n, list);
    for (const [len, stale] of this.free) {
      while (this.pooledBytes + e.array.byteLength > LIMIT_BYTES && stale.length > 0) {
        stale.pop();
        this.pooledBytes -= len * 4;
      }
      if (stale.length === 0 && len !== n) this.free.delete(len);
      if (this.pooledBytes + e.array.byteLength <= LIMIT_BYTES) break;
    }
    list.push(e.array);
    this.pooledBytes += e.array.byteLength;
  }

  // Bytes held by free buffers.
  get freeBytes(): number {
    return this.pooledBytes;
  }

  // Marks length n most recently used (a Map iterates in insertion order).
  private touch(n: number, list: Float32Array[]): void {
    this.free.delete(n);
    this.free.set(n, list);
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
