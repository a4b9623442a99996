// bin/pqk.js runs dist/: it rebuilds when src/ was edited after the build (warns where TypeScript is absent), stops
// on a failed build, and names a missing build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
