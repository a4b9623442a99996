// Where pqk's package lies on disk, so its data folders (targets/, firmware-harness/, node_modules/) are found from
// src/ (tsx) and from dist/src/ (built) alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

// Walks up from this module to the first package.json named "pqk": the depth differs between src/ and dist/src/.
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'pqk') {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json named "pqk" above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
