// Where the runtimes find their native parts. Paths are resolved from the package root, so they hold both when
// running from src/ (tsx) and from dist/src/ (built).
import { join } from 'node:path';
import { packageRoot } from '../util/root.js';

export { packageRoot };

// The TFLite 2.9 C library and headers shipped by tfjs-tflite-node, per platform folder.
export function tfliteCcDeps(platform: 'linux_amd64' | 'linux_arm64' | 'include'): string {
  return join(packageRoot(), 'node_modules', 'tfjs-tflite-node', 'cc_deps', platform);
}

// Built by firmware-harness/qemu-plugin/build.sh.
export function insnCountPluginPath(): string {
  return join(packageRoot(), 'firmware-harness', 'qemu-plugin', 'build', 'libinsncount.so');
}

// Built by src/runtimes/arm64/build.sh.
export function arm64BuildDir(): string {
  return join(packageRoot(), 'build', 'arm64');
}
