import { ChildProcess } from 'node:child_process';
import { collectOutput, forkBench, Reply } from './ipc';
import type { ServerStats } from './server';

/** The driver's handle on a `bench/server.ts` child: the app listening on 127.0.0.1, and its IPC channel. */
export class BenchServer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly output: () => string,
  ) {
    child.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.result);
    });
    child.on('exit', (code) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`bench server exited (${code})`));
      this.pending.clear();
    });
  }

  static start(env: Record<string, string | undefined>, execArgv: string[] = []): Promise<BenchServer> {
    const child = forkBench('server.ts', { env, execArgv });
    const output = collectOutput(child);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`bench server exited (${code}) before it listened:\n${output()}`));
      child.once('exit', onExit);
      child.once('message', (message: { ready?: boolean; port?: number }) => {
        child.off('exit', onExit);
        if (message.ready && message.port) resolve(new BenchServer(child, message.port, output));
        else reject(new Error(`unexpected first message from the bench server: ${JSON.stringify(message)}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  request<T>(type: string, payload?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, type, payload });
    });
  }

  sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return this.request<T[]>('sql', { text, params });
  }

  startStats(): Promise<void> {
    return this.request('stats.start');
  }

  readStats(): Promise<ServerStats> {
    return this.request('stats.read');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request('stop').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
