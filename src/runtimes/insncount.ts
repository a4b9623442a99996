// The instruction-counting QEMU plugin (firmware-harness/qemu-plugin): its -plugin argument and its output.
// Every time an instruction at a marker address executes, the plugin appends "0x<addr> <count>" to its out file,
// <count> being the instructions retired since the start of the run, not counting the marker itself.
import { existsSync } from 'node:fs';
import { insnCountPluginPath } from './paths.js';

export interface MarkerHit {
  addr: number;
  count: number;
}

// Path of the built plugin; throws with the build command when it is missing.
export function insnCountPlugin(): string {
  const path = insnCountPluginPath();
  if (!existsSync(path)) {
    throw new Error(`instruction-counting QEMU plugin not built: ${path} (run bash firmware-harness/qemu-plugin/build.sh)`);
  }
  return path;
}

// The value of QEMU's -plugin option: the plugin path, one addr= per marker, then out= and, when given, limit= (the
// most instructions allowed between two marker hits; past it QEMU exits with status 3, see INSN_LIMIT_EXIT).
export function insnCountPluginArg(markers: readonly (number | string)[], outPath: string, limit?: number): string {
  const plugin = insnCountPlugin();
  for (const p of [plugin, outPath]) {
    if (p.includes(',')) throw new Error(`QEMU cannot take a plugin argument with a comma in it: ${p}`);
  }
  const addrs = markers.map((m) => `addr=0x${(typeof m === 'number' ? m : parseAddr(m)).toString(16)}`);
  const bound = limit === undefined ? [] : [`limit=${Math.floor(limit)}`];
  return [plugin, ...addrs, `out=${outPath}`, ...bound].join(',');
}

export const INSN_LIMIT_EXIT = 3;

export function parseInsnCounts(text: string): MarkerHit[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const m = /^(0x[0-9a-f]+) (\d+)$/i.exec(line.trim());
      if (!m) throw new Error(`instruction-count line ${i + 1} is not '0x<addr> <count>': ${line}`);
      return { addr: parseAddr(m[1]), count: Number(m[2]) };
    });
}

// Instructions between each hit of `begin` and the next hit of `end`, in order; begin/end hits must alternate.
export function markerIntervals(hits: readonly MarkerHit[], begin: number, end: number): number[] {
  const out: number[] = [];
  let open: number | undefined;
  for (const h of hits) {
    if (h.addr === begin) {
      if (open !== undefined) throw new Error(`marker 0x${begin.toString(16)} hit twice without 0x${end.toString(16)} between`);
      open = h.count;
    } else if (h.addr === end) {
      if (open === undefined) throw new Error(`marker 0x${end.toString(16)} hit before 0x${begin.toString(16)}`);
      out.push(h.count - open);
      open = undefined;
    }
  }
  return out;
}

export function parseAddr(text: string): number {
  const v = Number.parseInt(text.replace(/^0x/i, ''), 16);
  if (!/^(0x)?[0-9a-f]+$/i.test(text) || !Number.isSafeInteger(v)) throw new Error(`not a hex address: '${text}'`);
  return v;
}
