// What a target's own emulator measures: which verification runtime runs there, and how instructions become time.
import type { TargetProfile } from './types.js';

// The runtime that executes on the target's emulator ('qemu:cortex-m4', 'arm64'), if the profile runs it.
export function deviceRuntime(target: TargetProfile): string | undefined {
  const name = emulatorRuntime(target);
  return target.runtimes.includes(name) ? name : undefined;
}

// The runtime name of the target's emulator, whether or not the profile runs it.
export function emulatorRuntime(target: TargetProfile): string {
  return target.emulator.type === 'qemu-system' ? `qemu:${target.emulator.cpu}` : 'arm64';
}

// Milliseconds per inference on the real part: instructions x cycles per instruction / clock.
export function estimateMs(instructions: number, target: TargetProfile): number {
  return (instructions * target.cyclesPerInstruction) / (target.clockMHz * 1000);
}
