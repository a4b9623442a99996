// The built-in target profiles' folder.
import { join } from 'node:path';
import { packageRoot } from '../util/root.js';

export { packageRoot };

export function targetsDir(): string {
  return join(packageRoot(), 'targets');
}
