import { ChildProcess } from 'node:child_process';
import { collectOutput, forkBench } from './ipc';

/** The driver's handle on `bench/floor-server.ts`: bare Fastify on 127.0.0.1, the floor of every route. */
export class FloorServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** With DATABASE_URL and the app's keys in `env`, it also serves the refresh floor. */
  static start(env: Record<string, string> = {}): Promise<FloorServer> {
    const child = forkBench('floor-server.ts', { env });
    const output = collectOutput(child);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the floor server exited (${code}) before it listened:\n${output()}`));
      child.once('exit', onExit);
      child.once('message', (message: { ready?: boolean; port?: number }) => {
        child.off('exit', onExit);
        if (message.ready && message.port)
          resolve(new FloorServer(child, `http://127.0.0.1:${message.port}`));
        else reject(new Error(`unexpected first message from the floor server: ${JSON.stringify(message)}`));
      });
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}
