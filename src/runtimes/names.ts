// The runtime names a command line or a target profile may use, without loading any runtime.
import { qemuCpus } from './qemu-boards.js';

// The emulated boards come from firmware-harness/boards/: a board added there is a runtime here.
export function runtimeNames(): string[] {
  return ['tflite', 'litert', 'arm64', ...qemuCpus().map((cpu) => `qemu:${cpu}`)];
}

// 'arm64:<cpu>' picks the emulated core (qemu-aarch64 -cpu, e.g. arm64:cortex-a76).
export const ARM64_CPU = /^arm64:([\w.-]+)$/;

export function isRuntimeName(name: string): boolean {
  return runtimeNames().includes(name) || ARM64_CPU.test(name);
}

export function runtimeNamesText(): string {
  return `${runtimeNames().join(', ')}, arm64:<cpu>`;
}

// A microcontroller board emulated by QEMU (pqk micro runs there: optimized kernels, the C frontend, instructions).
export function isMicrocontroller(name: string): boolean {
  return name.startsWith('qemu:');
}

// Any emulated device: a microcontroller board or an arm64 CPU (the runtimes whose figures stand for the device).
export function isEmulated(name: string): boolean {
  return isMicrocontroller(name) || name === 'arm64' || ARM64_CPU.test(name);
}
