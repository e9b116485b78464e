import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file that marks a folder made by `madeOnce` as finished; copies of the folder leave it out. */
export const MADE_MARK = '.gatehouse-made';

/**
 * Makes the folder `target` once per machine: `make` fills a sibling under a temporary name, which is then renamed
 * into place, so that no reader sees a half-made folder. Concurrent makers (two test workers) race to one rename;
 * the loser's copy, as good as the winner's, is dropped.
 */
export async function madeOnce(target: string, make: (dir: string) => Promise<void>): Promise<string> {
  if (existsSync(join(target, MADE_MARK))) return target;
  const building = mkdtempSync(`${target}-building-`);
  try {
    await make(building);
    writeFileSync(join(building, MADE_MARK), '');
    renameSync(building, target);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (existsSync(join(target, MADE_MARK))) return target;
    if (existsSync(target)) throw new Error(`${target} was never finished (no ${MADE_MARK}): delete it`);
    throw error;
  }
  return target;
}
