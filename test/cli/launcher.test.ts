// bin/pqk.js runs dist/; it says so when src/ was edited after the build, and names the missing build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'pqk-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a stale build warns with the newer source named, a fresh one runs quietly, a missing one is an error', () => {
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
  assert.equal(stale.status, 7, 'the old build still runs');
  assert.match(stale.stderr, /pqk: warning: src\/cli\/a\.ts is newer than the build in dist\/; run 'npm run build'/);
});
