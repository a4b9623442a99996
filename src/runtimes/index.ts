// The runtime registry: a name on the command line or in a target profile becomes a Runtime.
import { Arm64Runtime } from './arm64.js';
import { LiteRtRuntime } from './litert.js';
import { isQemuRuntimeName, QemuRuntime } from './qemu.js';
import { TfliteRuntime } from './tflite.js';
import { UsageError } from '../errors.js';
import { ARM64_CPU, runtimeNamesText } from './names.js';
import type { Runtime } from './types.js';

const RUNTIMES: Record<string, () => Runtime> = {
  tflite: () => new TfliteRuntime(),
  litert: () => new LiteRtRuntime(),
  arm64: () => new Arm64Runtime(),
};

// The names a user may give (names.ts, read without loading any runtime); each has a maker here.
export { runtimeNames } from './names.js';

// 'arm64:<cpu>' picks the emulated core (qemu-aarch64 -cpu, e.g. arm64:cortex-a76); plain 'arm64' is a Cortex-A53.
export function getRuntime(name: string): Runtime {
  const cpu = ARM64_CPU.exec(name)?.[1];
  if (cpu !== undefined) return new Arm64Runtime({ cpu });
  if (isQemuRuntimeName(name)) return QemuRuntime.fromName(name);
  const make = RUNTIMES[name];
  if (!make) throw new UsageError(`unknown runtime '${name}' (known: ${runtimeNamesText()})`);
  return make();
}
