// The emulated Cortex-M boards: memory maps and compiler flags from firmware-harness/boards/<machine>.json, and the
// linker script generated from them and the flash / RAM sizes a target allows.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

export interface MemoryRegion {
  origin: number;
  size: number; // bytes the board has there
  what: string;
}

export interface Board {
  machine: string; // QEMU -M
  cpu: string; // QEMU -cpu; one board per CPU, so the runtime 'qemu:<cpu>' names a board
  cflags: string[];
  dsp: boolean; // has the DSP extension (SMLAD)
  mve: boolean; // has Helium
  vectors?: MemoryRegion; // where the reset vector must sit when code lives elsewhere
  flash: MemoryRegion;
  ram: MemoryRegion;
}

export interface MemoryLimits {
  flashBytes: number;
  ramBytes: number;
}

interface RegionJson {
  origin: string;
  size: number;
  what: string;
}

export function firmwareDir(): string {
  return join(packageRoot(), 'firmware-harness');
}

function region(r: RegionJson, file: string): MemoryRegion {
  const origin = Number.parseInt(r.origin, 16);
  if (!Number.isInteger(origin) || !Number.isInteger(r.size) || r.size <= 0)
    throw new Error(`${file}: bad memory region ${JSON.stringify(r)}`);
  return { origin, size: r.size, what: r.what };
}

function readBoard(file: string): Board {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Omit<Board, 'flash' | 'ram' | 'vectors'> & {
    flash: RegionJson;
    ram: RegionJson;
    vectors?: RegionJson;
  };
  return { ...j, flash: region(j.flash, file), ram: region(j.ram, file), vectors: j.vectors ? region(j.vectors, file) : undefined };
}

let cached: Board[] | undefined;

// Every board in firmware-harness/boards/, by machine name; each board fact comes from its file.
export function boards(): Board[] {
  if (cached === undefined) {
    const dir = join(firmwareDir(), 'boards');
    cached = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readBoard(join(dir, f)));
    const cpus = cached.map((b) => b.cpu);
    const twice = cpus.find((c, i) => cpus.indexOf(c) !== i);
    if (twice !== undefined) throw new Error(`${dir}: two boards for cpu '${twice}'; 'qemu:${twice}' must name one board`);
  }
  return cached;
}

// The CPUs the emulated boards have, in the order of their machine names: 'qemu:<cpu>' for each is a runtime.
export function qemuCpus(): string[] {
  return boards().map((b) => b.cpu);
}

export function boardForMachine(machine: string): Board | undefined {
  return boards().find((b) => b.machine === machine);
}

export function boardForCpu(cpu: string): Board {
  const all = boards();
  const b = all.find((x) => x.cpu === cpu);
  if (!b) throw new Error(`no firmware-harness board for cpu '${cpu}' (boards: ${all.map((x) => `${x.machine} (${x.cpu})`).join(', ')})`);
  return b;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

// flash = vectors + code + read-only data (the model among it) + .data's initial values; RAM = .data + .bss (the
// arena among it) + the stack. The linker's region overflow is how a model that does not fit is caught.
export function linkerScript(board: Board, limits: MemoryLimits, stackBytes: number): string {
  for (const [what, want, has] of [
    ['flash', limits.flashBytes, board.flash.size],
    ['RAM', limits.ramBytes, board.ram.size],
  ] as const) {
    if (want > has) throw new Error(`${board.machine} has ${has} bytes of ${what} for the firmware, the target asks for ${want}`);
  }
  const vectorsRegion = board.vectors ? `  VECTORS (rx) : ORIGIN = ${hex(board.vectors.origin)}, LENGTH = ${board.vectors.size}\n` : '';
  return `/* Generated for ${board.machine} (${board.cpu}). */
MEMORY
{
${vectorsRegion}  FLASH (rx) : ORIGIN = ${hex(board.flash.origin)}, LENGTH = ${limits.flashBytes}
  RAM (rwx) : ORIGIN = ${hex(board.ram.origin)}, LENGTH = ${limits.ramBytes}
}
ENTRY(Reset_Handler)
SECTIONS
{
  .vectors : { KEEP(*(.vectors)) } > ${board.vectors ? 'VECTORS' : 'FLASH'}
  .text : { *(.text*) *(.rodata*) . = ALIGN(4); } > FLASH
  .ARM.exidx : { *(.ARM.exidx*) } > FLASH
  .data : { __data_start = .; *(.data*) . = ALIGN(4); __data_end = .; } > RAM AT > FLASH
  __data_load = LOADADDR(.data);
  .bss (NOLOAD) : { __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end = .; } > RAM
  .stack (NOLOAD) : { . = ALIGN(8); . += ${stackBytes}; __stack_top = .; } > RAM
}
`;
}
