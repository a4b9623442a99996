// Which verified runtime speaks for the device in a report: an emulated one (qemu:*, arm64) runs the target's own ISA.
import { isEmulated } from '../runtimes/names.js';
import type { RunReport, RuntimeVerification } from './types.js';

// The first emulated runtime meeting `want`, else the first runtime meeting it.
export function deviceRuntimeOf(
  r: Pick<RunReport, 'verification'>,
  want: (v: RuntimeVerification) => boolean = () => true,
): string | undefined {
  const names = Object.keys(r.verification).filter((rt) => want(r.verification[rt]!));
  return names.find(isEmulated) ?? names[0];
}
