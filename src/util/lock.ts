// One process per run folder: a lock file made with O_EXCL holds the owner's PID. A second process is refused with
// that PID; a lock whose process is gone (killed) is taken over. Released when the process exits, however it exits.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RunStateError } from '../errors.js';

export const LOCK_FILE = '.pqk.lock';

interface LockInfo {
  pid: number;
  command: string;
  since: string;
}

const held = new Set<string>();
let exitHook = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' ? { pid: v.pid, command: String(v.command ?? '?'), since: String(v.since ?? '?') } : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

// Takes the lock on `dir` (made if missing) for this process; `command` is shown to whoever is refused.
export function lockRunDir(dir: string, command: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) return () => {};
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readLock(path);
      if (owner && owner.pid !== process.pid && alive(owner.pid))
        throw new RunStateError(
          `${dir} is in use by PID ${owner.pid} (pqk ${owner.command}, since ${owner.since}); wait for it to finish or stop it, or use another folder`,
        );
      rmSync(path, { force: true }); // its process is gone
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }) + '\n');
    closeSync(fd);
    held.add(path);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => held.forEach((p) => rmSync(p, { force: true })));
    }
    return () => {
      if (held.delete(path)) rmSync(path, { force: true });
    };
  }
  throw new RunStateError(`${path}: could not take the lock (another process keeps making it)`);
}
