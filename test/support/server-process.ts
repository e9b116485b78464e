import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serverBuild } from './server-build';

const ROOT = join(__dirname, '..', '..');

/** A TCP port that was free a moment ago, for a server process to listen on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The compiled `main.ts` in a child process, as `npm start` runs it, with its output collected. */
export class ServerProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** Spawns the server with `env` as its whole environment (PATH aside); it may still be starting on return. */
  static async start(env: Record<string, string | undefined>): Promise<ServerProcess> {
    const build = await serverBuild();
    // tsconfig-paths maps the @gatehouse/* imports into the build, as it maps them into the sources for ts-node.
    return new ServerProcess(['-r', 'tsconfig-paths/register', join(build, 'apps/api/src/main.js')], {
      TS_NODE_BASEURL: build,
      ...env,
    });
  }

  /** `node <main>` and nothing else, as `npm start` runs `nest build`'s output. */
  static startEntry(main: string, env: Record<string, string | undefined>): ServerProcess {
    return new ServerProcess([main], env);
  }

  private constructor(args: string[], env: Record<string, string | undefined>) {
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get text(): string {
    return this.output.join('');
  }

  /** Polls until the health route answers 200, or fails after the deadline. */
  async waitUntilHealthy(baseUrl: string, deadlineMs = 60_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      if (this.child.exitCode !== null) throw new Error(`server exited early:\n${this.text}`);
      try {
        if ((await fetch(`${baseUrl}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`server not healthy in time:\n${this.text}`);
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** SIGKILL, as a crash or the OOM killer would: no drain, no clean close of the database. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
