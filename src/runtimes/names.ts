// The runtime names a command line or a target profile may use, without loading any runtime.
import { QEMU_CPUS } from './qemu-boards.js';

export const RUNTIME_NAMES: readonly string[] = ['tflite', 'litert', 'arm64', ...QEMU_CPUS.map((cpu) => `qemu:${cpu}`)];

// 'arm64:<cpu>' picks the emulated core (qemu-aarch64 -cpu, e.g. arm64:cortex-a76).
export const ARM64_CPU = /^arm64:([\w.-]+)$/;

export function isRuntimeName(name: string): boolean {
  return RUNTIME_NAMES.includes(name) || ARM64_CPU.test(name);
}

export function runtimeNamesText(): string {
  return `${RUNTIME_NAMES.join(', ')}, arm64:<cpu>`;
}
