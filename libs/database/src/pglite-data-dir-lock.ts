import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// Directories this process has open: a second pool on one of them is refused without looking at the file.
const openHere = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims an embedded data directory for this process, with a `<dataDir>.lock` file holding the process id.
 * PGlite itself does not notice a second opening of its files, and two writers would corrupt them. A lock file
 * left by a process that no longer runs (a `kill -9`) is taken over. Answers the function that gives it back.
 */
export function claimDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  if (openHere.has(dir)) throw new Error(`${dir} is already open in this process`);
  const lockPath = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (!Number.isInteger(holder)) {
        throw new Error(`${dir} is being opened by another process (delete ${lockPath} if none runs)`);
      }
      if (holder !== process.pid && isRunning(holder)) {
        throw new Error(`${dir} is already open in process ${holder} (${lockPath})`);
      }
      rmSync(lockPath, { force: true });
    }
  }
  openHere.add(dir);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    openHere.delete(dir);
    rmSync(lockPath, { force: true });
  };
}
