#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`). In a checkout whose src/ was edited after the last
// build, it rebuilds the TypeScript before running (the tests run src/ directly; an unbuilt edit must not run stale).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
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

// One rebuild at a time: commands started together after an edit would otherwise each run tsc, and one could import
// a dist/ another is halfway through writing. The lock is a directory (made atomically); a command that finds it
// waits until it is gone, then looks again. A lock left by a killed build is taken over after 10 minutes.
function withBuildLock(fn) {
  const lock = join(root, 'dist', '.build-lock');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') return fn(); // dist/ not writable: no lock to take (nor a build to write)
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile: try again
      }
      Atomics.wait(nap, 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (!existsSync(built)) {
  process.stderr.write(`pqk: ${built} is missing: run 'npm run build' (or 'bash scripts/setup.sh') first\n`);
  process.exit(1);
}
// In a checkout whose src/ is newer than the build, the TypeScript is rebuilt first (what `npm run build` does for
// it), so the command runs the code the tests run; a build that fails stops here with tsc's errors. Without
// TypeScript installed it warns and runs the old build.
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const stale = () => {
  const src = newestSource(join(root, 'src'));
  return src.mtime > statSync(built).mtimeMs ? `${src.file.slice(root.length + 1)} is newer than the build in dist/` : undefined;
};
if (existsSync(join(root, 'src')) && (stale() || existsSync(join(root, 'dist', '.build-lock')))) {
  const ok = withBuildLock(() => {
    const newer = stale(); // again: another command may have rebuilt meanwhile
    if (newer && !existsSync(tsc)) {
      process.stderr.write(`pqk: warning: ${newer}; run 'npm run build' (this runs the old build)\n`);
    } else if (newer) {
      process.stderr.write(`pqk: ${newer}: rebuilding (tsc -p tsconfig.json)\n`);
      const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
      if (r.status !== 0) return false;
      utimesSync(built, new Date(), new Date()); // tsc leaves an unchanged output's time alone
    }
    return true;
  });
  if (!ok) {
    process.stderr.write(`pqk: the build failed; fix the errors above or run 'npm run build'\n`);
    process.exit(1);
  }
}
const { main } = await import(pathToFileURL(built).href);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
