// Progress of long work: a live line on a terminal, plain lines (about every 10% of an epoch) in CI and logs.
import type { Progress } from '../train/loop.js';

function eta(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const m = Math.floor(sec / 60);
  return m > 0 ? `${m}m${Math.round(sec % 60)}s` : `${Math.round(sec)}s`;
}

export function progressPrinter(json: boolean): (p: Progress) => void {
  const stream = process.stderr;
  const tty = stream.isTTY === true && !process.env.CI;
  let lastPlain = -1;
  return (p) => {
    const pct = Math.floor((100 * p.step) / p.steps);
    const line = `${p.stage} epoch ${p.epoch}/${p.epochs} [${'#'.repeat(Math.floor(pct / 5)).padEnd(20, '.')}] ${p.step}/${p.steps} loss ${p.loss?.toFixed(4) ?? '-'} ${p.samplesPerSec.toFixed(0)} samples/s ETA ${eta(p.etaSec)}`;
    if (tty) {
      stream.write(`\r${line}\u001b[K${p.step === p.steps ? '\n' : ''}`);
    } else if (!json && Math.floor(pct / 25) !== lastPlain) {
      lastPlain = Math.floor(pct / 25);
      if (pct < 100) stream.write(line + '\n');
    }
  };
}
