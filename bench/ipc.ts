import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

/** How bench children run TypeScript: as `npm run bench` runs the driver. */
const TS_EXEC_ARGV = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

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
  return fork(join(ROOT, 'bench', script), options.args ?? [], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', ...options.env },
    execArgv: [...(options.execArgv ?? []), ...TS_EXEC_ARGV],
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
