// How a batch travels: each sample is the bytes of all model inputs, concatenated in input order.

export interface InputSlot {
  name: string;
  bytes: number;
}

export function asBytes(x: ArrayBufferView): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

// One sample cut into the model's inputs, checking the total size.
export function splitSample(inputs: readonly InputSlot[], sample: Uint8Array, what: string): Uint8Array[] {
  const total = inputs.reduce((n, t) => n + t.bytes, 0);
  if (sample.length !== total) {
    const sizes = inputs.map((t) => `'${t.name}' ${t.bytes}`).join(', ');
    throw new Error(`${what} has ${sample.length} bytes; the model's inputs take ${total} (${sizes})`);
  }
  let at = 0;
  return inputs.map((t) => sample.subarray(at, (at += t.bytes)));
}

// A batch as one byte array, samples back to back.
export function concatSamples(samples: readonly ArrayBufferView[]): Uint8Array {
  const out = new Uint8Array(samples.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of samples) {
    out.set(asBytes(p), at);
    at += p.byteLength;
  }
  return out;
}
