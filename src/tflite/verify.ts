// A bounds-checking verifier for TFLite flatbuffers, run before any generated accessor touches the bytes: every
// table, vtable, offset, vector and string the reader will follow is checked to lie inside the file, aligned, and
// the total work is bounded so shared sub-objects cannot blow it up. The flatbuffers package checks none of this.
import { formatError } from './format-error.js';
import { MODEL_SPEC } from './verify-spec.js';
import type { FieldSpec, TableSpec } from './table-spec.js';
import { identifierProblem } from './identifier.js';

export { formatError, TfliteFormatError } from './format-error.js';

class Verifier {
  private readonly view: DataView;
  private work = 0;
  private readonly maxWork: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Every element of a well-formed file is visited about once; sharing that multiplies visits is hostile.
    this.maxWork = 2 * bytes.length + 65536;
  }

  fail(path: string, what: string, at?: number): never {
    const where = at === undefined ? '' : ` (at byte ${at} of ${this.bytes.length})`;
    throw formatError(path, `${what}${where}`);
  }

  private range(pos: number, size: number, path: string, what: string): void {
    if (pos < 0 || size < 0 || pos + size > this.bytes.length) this.fail(path, `${what} of ${size} bytes runs outside the file`, pos);
  }

  private align(pos: number, n: number, path: string, what: string): void {
    if (pos % n !== 0) this.fail(path, `${what} is not ${n}-byte aligned`, pos);
  }

  private charge(n: number, path: string): void {
    this.work += n;
    if (this.work > this.maxWork)
      this.fail(path, `more than ${this.maxWork} elements to visit for a ${this.bytes.length}-byte file (shared or looping offsets)`);
  }

  private u16(pos: number): number {
    return this.view.getUint16(pos, true);
  }

  private u32(pos: number): number {
    return this.view.getUint32(pos, true);
  }

  // Follows the uoffset stored at `pos`; the target must hold at least 4 bytes.
  private deref(pos: number, path: string): number {
    this.range(pos, 4, path, 'offset');
    const target = pos + this.u32(pos);
    this.range(target, 4, path, 'offset target');
    this.align(target, 4, path, 'offset target');
    return target;
  }

  root(spec: TableSpec): void {
    if (this.bytes.length < 8) this.fail('file', `${this.bytes.length} bytes is too short for a flatbuffer`);
    const problem = identifierProblem(this.bytes);
    if (problem) this.fail('file', problem, 4);
    this.table(this.deref(0, 'root'), spec, 'model');
  }

  // A vector's element count, after checking that count * elemSize bytes follow its length word.
  private vector(pos: number, elemSize: number, path: string): number {
    this.align(pos, 4, path, 'vector');
    const n = this.u32(pos);
    this.range(pos + 4, n * elemSize, path, `vector of ${n} x ${elemSize}-byte elements`);
    this.charge(n + 1, path);
    return n;
  }

  private string(pos: number, path: string): void {
    const n = this.vector(pos, 1, path);
    this.range(pos + 4 + n, 1, path, 'string terminator');
    if (this.bytes[pos + 4 + n] !== 0) this.fail(path, 'string is not NUL-terminated', pos + 4 + n);
  }

  private table(pos: number, spec: TableSpec, path: string): void {
    this.charge(1, path);
    const vt = pos - this.view.getInt32(pos, true);
    this.range(vt, 4, path, `${spec.name} vtable`);
    this.align(vt, 2, path, `${spec.name} vtable`);
    const vsize = this.u16(vt);
    const tsize = this.u16(vt + 2);
    // Readers treat vtable entries as int16, so anything at or above 0x8000 is rejected rather than misread.
    if (vsize < 4 || vsize % 2 !== 0 || vsize >= 0x8000) this.fail(path, `${spec.name} vtable size ${vsize} is invalid`, vt);
    this.range(vt, vsize, path, `${spec.name} vtable`);
    if (tsize < 4 || tsize >= 0x8000) this.fail(path, `${spec.name} table size ${tsize} is invalid`, vt + 2);
    this.range(pos, tsize, path, `${spec.name} table`);
    for (const [idText, [name, field]] of Object.entries(spec.fields)) {
      const slot = 4 + 2 * Number(idText);
      const voff = slot < vsize ? this.u16(vt + slot) : 0;
      if (voff === 0) continue;
      const size = field.kind === 'scalar' ? field.size : 4;
      if (voff + size > tsize)
        this.fail(`${path}.${name}`, `field at table offset ${voff} overruns the ${tsize}-byte ${spec.name} table`, pos);
      this.align(pos + voff, size, `${path}.${name}`, 'field');
      this.field(pos, pos + voff, field, spec, `${path}.${name}`);
    }
  }

  private field(table: number, fp: number, f: FieldSpec, spec: TableSpec, path: string): void {
    switch (f.kind) {
      case 'scalar':
        return;
      case 'string':
        return this.string(this.deref(fp, path), path);
      case 'vector': {
        this.vector(this.deref(fp, path), f.elem, path);
        return;
      }
      case 'table':
        return this.table(this.deref(fp, path), f.spec, path);
      case 'tables': {
        const v = this.deref(fp, path);
        const n = this.vector(v, 4, path);
        for (let i = 0; i < n; i++) this.table(this.deref(v + 4 + 4 * i, `${path}[${i}]`), f.spec, `${path}[${i}]`);
        return;
      }
      case 'union': {
        const type = this.unionType(table, f.typeId, spec);
        const member = f.members[type];
        if (member === undefined) this.fail(path, `unknown union type ${type}`);
        return this.table(this.deref(fp, path), member, path);
      }
    }
  }

  // The union's type byte (its field id is the value's id minus one); 0 (NONE) when absent.
  private unionType(table: number, typeId: number, spec: TableSpec): number {
    const vt = table - this.view.getInt32(table, true);
    const slot = 4 + 2 * typeId;
    const voff = slot < this.u16(vt) ? this.u16(vt + slot) : 0;
    if (voff === 0) return 0;
    if (voff + 1 > this.u16(vt + 2)) this.fail(spec.name, 'union type field overruns its table', table);
    return this.bytes[table + voff]!;
  }
}

// Throws a TfliteFormatError naming the field and byte offset of the first problem found.
export function verifyTflite(bytes: Uint8Array): void {
  new Verifier(bytes).root(MODEL_SPEC);
}
