// bin/pqk.js runs dist/: it rebuilds when src/ was edited after the build (warns where TypeScript is absent), stops
// on a failed build, names a missing build, and builds once for commands started together.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'pqk-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a stale build is rebuilt (or warned of without TypeScript), a failed build stops, a fresh one runs quietly, a missing one is an error', () => {
  mkdirSync(join(root, 'bin'));
  copyFileSync('bin/pqk.js', join(root, 'bin/pqk.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  const run = () => spawnSync(process.execPath, [join(root, 'bin/pqk.js'), 'x'], { encoding: 'utf8' });
  const missing = run();
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /dist\/src\/cli\/main\.js is missing: run 'npm run build'/);
  mkdirSync(join(root, 'dist/src/cli'), { recursive: true });
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  const main = join(root, 'dist/src/cli/main.js');
  writeFileSync(main, 'export async function main(argv) { process.stdout.write(argv.join(",")); return 7; }\n');
  writeFileSync(join(root, 'src/cli/a.ts'), '');
  utimesSync(join(root, 'src/cli/a.ts'), new Date(1000_000), new Date(1000_000));
  const fresh = run();
  assert.equal(fresh.status, 7);
  assert.equal(fresh.stdout, 'x');
  assert.equal(fresh.stderr, '');
  utimesSync(join(root, 'src/cli/a.ts'), new Date(), new Date(Date.now() + 60_000));
  const stale = run();
  assert.equal(stale.status, 7, 'without TypeScript the old build still runs');
  assert.match(stale.stderr, /pqk: warning: src\/cli\/a\.ts is newer than the build in dist\/; run 'npm run build'/);
  // A stand-in for tsc: checks it was given tsconfig.json, then writes a new build (or fails when asked to).
  mkdirSync(join(root, 'node_modules/typescript/bin'), { recursive: true });
  writeFileSync(
    join(root, 'node_modules/typescript/bin/tsc'),
    [
      "import { writeFileSync, existsSync } from 'node:fs';",
      "if (!process.argv[3].endsWith('tsconfig.json')) process.exit(9);",
      "if (existsSync(new URL('../../../src/broken', import.meta.url))) { console.error('src/cli/a.ts(1,1): error TS1005'); process.exit(2); }",
      `writeFileSync(${JSON.stringify(main)}, 'export async function main() { return 8; }\\n');`,
    ].join('\n'),
  );
  const past = new Date(Date.now() - 5_000);
  utimesSync(main, new Date(1000_000), new Date(1000_000));
  utimesSync(join(root, 'src/cli/a.ts'), past, past);
  const rebuilt = run();
  assert.equal(rebuilt.status, 8, `the new build runs: ${rebuilt.stderr}`);
  assert.match(rebuilt.stderr, /pqk: src\/cli\/a\.ts is newer than the build in dist\/: rebuilding \(tsc -p tsconfig\.json\)/);
  assert.equal(run().stderr, '', 'built once: the next run is quiet');
  writeFileSync(join(root, 'src/broken'), '');
  utimesSync(join(root, 'src/broken'), past, past);
  utimesSync(main, new Date(1000_000), new Date(1000_000));
  const broken = run();
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /error TS1005[\s\S]*pqk: the build failed; fix the errors above or run 'npm run build'/);
});

test('commands started together after an edit build once, and none imports a build being written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-bin-lock-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  copyFileSync('bin/pqk.js', join(dir, 'bin/pqk.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
  mkdirSync(join(dir, 'src/cli'), { recursive: true });
  const main = join(dir, 'dist/src/cli/main.js');
  const count = join(dir, 'builds');
  writeFileSync(main, 'export async function main() { return 7; }\n');
  utimesSync(main, new Date(1000_000), new Date(1000_000));
  writeFileSync(join(dir, 'src/cli/a.ts'), '');
  // A stand-in for tsc that counts its runs and writes main.js in two steps, half a module first (newer than src/,
  // so a command that only compared times would import it and fail), the whole one 1.5 s later.
  mkdirSync(join(dir, 'node_modules/typescript/bin'), { recursive: true });
  writeFileSync(
    join(dir, 'node_modules/typescript/bin/tsc'),
    [
      "import { appendFileSync, writeFileSync } from 'node:fs';",
      `appendFileSync(${JSON.stringify(count)}, 'x');`,
      `writeFileSync(${JSON.stringify(main)}, 'export async function main( {');`,
      'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);',
      `writeFileSync(${JSON.stringify(main)}, 'export async function main() { return 8; }\\n');`,
    ].join('\n'),
  );
  const start = (): Promise<{ status: number | null; stderr: string }> =>
    new Promise((res) => {
      const c = spawn(process.execPath, [join(dir, 'bin/pqk.js'), 'x']);
      let stderr = '';
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (status) => res({ status, stderr }));
    });
  const first = [start(), start()];
  await new Promise((r) => setTimeout(r, 700)); // the build is under way: main.js holds half a module
  const late = start();
  const results = await Promise.all([...first, late]);
  for (const r of results) assert.equal(r.status, 8, r.stderr);
  assert.equal(readFileSync(count, 'utf8'), 'x', 'one build');
  assert.equal(results.filter((r) => /rebuilding/.test(r.stderr)).length, 1);
  assert.equal(existsSync(join(dir, 'dist/.build-lock')), false, 'the lock is gone');
});
