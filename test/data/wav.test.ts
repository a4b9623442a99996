import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, encodeWav, readWav, writeWav } from '../../src/data/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-wav-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const samples = Int16Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 65536) - 32768);

function withFmt(buf: Buffer, offset: number, value: number, bytes: 2 | 4): Buffer {
  const copy = Buffer.from(buf);
  if (bytes === 2) copy.writeUInt16LE(value, offset);
  else copy.writeUInt32LE(value, offset);
  return copy;
}

test('WAV round trip keeps samples, rate, and a canonical 44-byte header', async () => {
  const path = join(dir, 'a.wav');
  await writeWav(path, samples, 16000);
  const wav = await readWav(path, { sampleRate: 16000 });
  assert.equal(wav.sampleRate, 16000);
  assert.deepEqual(wav.samples, samples);
  const bytes = encodeWav(samples, 16000);
  assert.equal(bytes.length, 44 + 2000);
  assert.equal(bytes.readUInt32LE(4), 36 + 2000);
  assert.equal(bytes.readInt16LE(44), samples[0]);
});

test('WAV chunks before data (LIST) and odd-sized chunks are skipped', () => {
  const plain = encodeWav(samples.subarray(0, 10), 16000);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
  const withList = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
  assert.deepEqual(decodeWav(withList, 'x.wav').samples, samples.subarray(0, 10));
});

test('each bad WAV names the file and the problem', async () => {
  const good = encodeWav(samples, 16000);
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.wav', good.subarray(0, 500), /truncated\.wav: truncated: data chunk declares 2000 bytes but only 456/],
    ['short.wav', good.subarray(0, 6), /short\.wav: truncated/],
    ['header-only.wav', good.subarray(0, 36), /header-only\.wav: truncated: no data chunk/],
    ['rate.wav', withFmt(good, 24, 44100, 4), /rate\.wav: sample rate 44100 Hz, expected 16000 Hz/],
    ['stereo.wav', withFmt(good, 22, 2, 2), /stereo\.wav: stereo \(2 channels\), expected mono/],
    ['float.wav', withFmt(good, 20, 3, 2), /float\.wav: not PCM \(format tag 3\)/],
    ['8bit.wav', withFmt(good, 34, 8, 2), /8bit\.wav: 8-bit samples/],
    ['text.wav', Buffer.from('hello, this is not audio at all'), /text\.wav: not a RIFF\/WAVE file/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    await assert.rejects(readWav(path, { sampleRate: 16000 }), (e: Error) => {
      assert.match(e.message, re);
      assert.ok(e.message.includes(path), `${e.message} names ${path}`);
      return true;
    });
  }
});
