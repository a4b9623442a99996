// Builds the native parts the runtime tests need (idempotent scripts, quick when up to date).
import { execa } from 'execa';

let built: Promise<void> | undefined;

export function buildNative(): Promise<void> {
  built ??= (async () => {
    await execa('bash', ['firmware-harness/qemu-plugin/build.sh']);
    await execa('bash', ['src/runtimes/arm64/build.sh']);
  })();
  return built;
}
