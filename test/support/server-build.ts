import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { madeOnce } from './made-once';

const ROOT = join(__dirname, '..', '..');
// Under node_modules, so that the compiled files find the packages as the sources do.
const CACHE = join(ROOT, 'node_modules', '.cache', 'gatehouse-server');
const SOURCES = ['apps', 'libs'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];
const DAY_MS = 24 * 60 * 60 * 1000;
const run = promisify(execFile);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Names the sources a build was made from: a changed file makes a new build, never a stale server. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir))),
    ...CONFIGS.map((f) => join(ROOT, f)),
  ];
  for (const file of files.sort())
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Builds of other sources, a day old: what a branch switch or an edit left behind. */
function pruneOldBuilds(keep: string): void {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (name !== keep && Date.now() - statSync(path).mtimeMs > DAY_MS)
      rmSync(path, { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;

/**
 * The server compiled to JavaScript once per version of the sources, for the tests that start it as a child
 * process: ts-node compiles every file again at each start, which doubles a start's time. Types are not checked
 * here (`npm run typecheck` does it); the emitted code is what `nest build` emits, paths resolved at run time.
 * Concurrent test workers may both build: the first rename wins and the other's copy is dropped.
 */
export function serverBuild(): Promise<string> {
  built ??= (() => {
    const hash = sourceHash();
    const target = join(CACHE, hash);
    mkdirSync(CACHE, { recursive: true });
    pruneOldBuilds(hash);
    return madeOnce(target, async (building) => {
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const config = join(ROOT, 'tsconfig.build.json');
      const options = ['--outDir', building, '--noCheck', '--sourceMap', 'false'];
      await run(process.execPath, [tsc, '-p', config, ...options], { cwd: ROOT });
    });
  })();
  return built;
}
