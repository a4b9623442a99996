#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`). In a checkout whose src/ was edited after the last
// build, it says so before running the old build (the tests run src/ directly; an unbuilt edit must not pass silently).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/src/cli/main.js');

function newestSource(dir) {
  let best = { file: '', mtime: 0 };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const c = e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? { file: p, mtime: statSync(p).mtimeMs } : best;
    if (c.mtime > best.mtime) best = c;
  }
  return best;
}

if (!existsSync(built)) {
  process.stderr.write(`pqk: ${built} is missing: run 'npm run build' (or 'bash scripts/setup.sh') first\n`);
  process.exit(1);
}
if (existsSync(join(root, 'src'))) {
  const src = newestSource(join(root, 'src'));
  if (src.mtime > statSync(built).mtimeMs)
    process.stderr.write(
      `pqk: warning: ${src.file.slice(root.length + 1)} is newer than the build in dist/; run 'npm run build' (this runs the old build)\n`,
    );
}
const { main } = await import(pathToFileURL(built).href);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
