// Setup ends by checking that every tool and build output the pipeline and the tests use is present: a machine that
// lacks one fails setup, naming the program and its Debian package, instead of failing a test later.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FESTIVAL_VOICES } from '../../src/data/festival.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The programs check-tools.sh looks for, read from the script itself.
const script = readFileSync('scripts/check-tools.sh', 'utf8');
const tools = [...script.matchAll(/^ {2}"([\w.+-]+) ([\w.+-]+)"$/gm)].map((m) => ({ program: m[1]!, pkg: m[2]! }));

function which(program: string): string {
  const r = spawnSync('bash', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${program} is on this machine's PATH`);
  return r.stdout.trim();
}

// A PATH holding every tool but `missing` (and what the script itself runs).
function pathWithout(missing: string | undefined): string {
  const bin = mkdtempSync(join(dir, 'bin-'));
  for (const p of [...tools.map((t) => t.program), 'bash', 'dpkg', 'dpkg-query']) if (p !== missing) symlinkSync(which(p), join(bin, p));
  return bin;
}

test('check-tools lists at least the emulators, cross compilers, speech tools and the fuzzing compiler', () => {
  for (const p of [
    'qemu-system-arm',
    'qemu-aarch64',
    'arm-none-eabi-gcc',
    'aarch64-linux-gnu-gcc',
    'espeak-ng',
    'sox',
    'flite',
    'festival',
    'flatc',
    'clang',
  ])
    assert.ok(
      tools.some((t) => t.program === p),
      p,
    );
});

test('every Debian package check-tools names is installed by setup', () => {
  const setup = readFileSync('scripts/setup.sh', 'utf8');
  const list = /APT_PACKAGES=\(([^)]*)\)/.exec(setup)![1]!.split(/\s+/).filter(Boolean);
  for (const t of tools) if (t.pkg !== 'gcc') assert.ok(list.includes(t.pkg), `${t.pkg} (for ${t.program}) is in setup's APT_PACKAGES`);
  assert.ok(list.includes('libclang-rt-14-dev'), 'libFuzzer runtime');
  const checked = /for p in ([\w\s.+-]+); do/.exec(readFileSync('scripts/check-tools.sh', 'utf8'))![1]!.trim().split(/\s+/);
  for (const voice of checked) {
    assert.ok(voice.startsWith('festvox-') && list.includes(voice), `${voice} (Festival's voice) is in setup's APT_PACKAGES`);
  }
  // and they are the packages of the voices the synthetic set speaks with
  assert.deepEqual(
    [...checked].sort(),
    Object.values(FESTIVAL_VOICES)
      .map((v) => v.pkg)
      .sort(),
  );
  assert.ok(!list.includes('python3-torch'), 'PyTorch is installed by the benchmark that uses it, not by setup');
});

test('passes on this machine, and fails naming the program and its package when one is missing', () => {
  const ok = spawnSync('bash', ['scripts/check-tools.sh'], { encoding: 'utf8', env: { PATH: pathWithout(undefined) } });
  assert.equal(ok.status, 0, ok.stderr);
  for (const missing of [
    { program: 'sox', pkg: 'sox' },
    { program: 'qemu-aarch64', pkg: 'qemu-user' },
  ]) {
    const r = spawnSync('bash', ['scripts/check-tools.sh'], { encoding: 'utf8', env: { PATH: pathWithout(missing.program) } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`program '${missing.program}' not found \\(Debian package ${missing.pkg}\\)`));
  }
});
