import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

// Under node_modules, so that the compiled files find the packages as the sources do; one per run, so that two
// runs at once never build into each other's.
const BUILDS = join(ROOT, 'node_modules', '.cache', 'gatehouse-bench');
const BUILD = join(BUILDS, String(process.pid));
let built = false;

/**
 * The bench children (the server above all) compiled to JavaScript, as `npm start` runs the app: under ts-node a
 * server also carries ts-node's own cost per request (its REPL loads `domain`, whose async hook then runs for
 * every promise), which production never pays. Built once per bench run, types unchecked (`npm run typecheck`
 * checks them).
 */
function compiledBench(): string {
  if (built) return BUILD;
  mkdirSync(BUILD, { recursive: true });
  process.on('exit', () => rmSync(BUILD, { recursive: true, force: true }));
  const config = join(BUILD, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { types: ['node'], outDir: BUILD, rootDir: ROOT, noEmit: false, sourceMap: false },
      include: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts'].map((glob) => join(ROOT, glob)),
      exclude: ['**/*.spec.ts', 'libs/client/**', 'apps/api/src/demo/web/**'].map((glob) => join(ROOT, glob)),
    }),
  );
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config, '--noCheck'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (!existsSync(join(BUILD, 'bench', 'server.js')))
    throw new Error(`the bench build left no ${BUILD}/bench`);
  built = true;
  return BUILD;
}

export interface Request {
  id: number;
  type: string;
  payload?: unknown;
}

export type Reply = { id: number; result: unknown } | { id: number; error: string };

/** Starts `bench/<script>` in its own Node process with an IPC channel; its output goes to `output`. */
export function forkBench(
  script: string,
  options: { env?: Record<string, string | undefined>; execArgv?: string[]; args?: string[] } = {},
): ChildProcess {
  const build = compiledBench();
  return fork(join(build, 'bench', script.replace(/\.ts$/, '.js')), options.args ?? [], {
    cwd: ROOT,
    // tsconfig-paths maps the @gatehouse/* imports into the build, as it maps them into the sources for ts-node.
    env: { ...process.env, TS_NODE_BASEURL: build, ...options.env },
    execArgv: [...(options.execArgv ?? []), '-r', 'tsconfig-paths/register'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/** Collects a child's output, to show when it fails. */
export function collectOutput(child: ChildProcess): () => string {
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return () => chunks.join('').slice(-8000);
}

/** Runs a one-shot bench child that sends one `{ result }` message, and returns that result. */
export async function runBenchChild<T>(
  script: string,
  options: { env?: Record<string, string | undefined>; execArgv?: string[]; args?: string[] } = {},
): Promise<T> {
  const child = forkBench(script, options);
  const output = collectOutput(child);
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    child.on('message', (message: { result?: T; error?: string }) => {
      if (message.error) reject(new Error(`${script}: ${message.error}\n${output()}`));
      else result = { value: message.result as T };
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result) resolve(result.value);
      else reject(new Error(`${script} exited with ${code} without a result\n${output()}`));
    });
  });
}

/** For a one-shot child: runs `work` and reports its result (or error) to the parent, then exits. */
export function reportToParent<T>(work: () => Promise<T>): void {
  work().then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.send!({ error: message }, () => process.exit(1));
    },
  );
}
