/**
 * The benchmarked server: the app exactly as `main.ts` builds it (`createApp`), plus the two bench routes, in a
 * process of its own so it never shares an event loop with the load generator. The driver (`bench/run.ts`)
 * controls it over the IPC channel: query counts, CPU and event-loop figures, SQL for seeding and checks.
 */
import { installArgon2Meter } from './argon2-meter';
import { installQueryCounter, markRequests } from './query-counter';

// Before anything opens a connection: every statement sent to PostgreSQL is counted.
const queries = installQueryCounter();
// And every argon2 verification timed (for the login storm's diagnosis).
const argon2 = installArgon2Meter();

import { loadConfig } from '@gatehouse/config';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { EventLoopUtilization, performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/api/src/app.factory';
import { BenchRoutesModule } from './bench-routes.module';
import { Reply, Request } from './ipc';

export interface ServerStats {
  /** Share of wall time the event loop was busy. */
  eventLoopUtilization: number;
  /** CPU time of the whole process (event loop, libuv threads, GC) per wall second: 1 = one core. */
  cpuCores: number;
  wallSeconds: number;
}

let app: NestFastifyApplication;
let statsFrom: { elu: EventLoopUtilization; cpu: NodeJS.CpuUsage; at: number } | undefined;
let profiler: Session | undefined;

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

const handlers: Record<string, (payload: never) => unknown> = {
  'queries.reset': () => queries.reset(),
  'queries.read': () => queries.read(),
  'argon2.reset': () => argon2.reset(),
  'argon2.read': () => argon2.read(),
  sql: ({ text, params }: { text: string; params?: unknown[] }) => app.get(DataSource).query(text, params),
  'stats.start': () => {
    statsFrom = { elu: performance.eventLoopUtilization(), cpu: process.cpuUsage(), at: Date.now() };
  },
  'stats.read': (): ServerStats => {
    const from = statsFrom!;
    const wallSeconds = (Date.now() - from.at) / 1000;
    const cpu = process.cpuUsage(from.cpu);
    return {
      eventLoopUtilization: performance.eventLoopUtilization(from.elu).utilization,
      cpuCores: (cpu.user + cpu.system) / 1e6 / wallSeconds,
      wallSeconds,
    };
  },
  'profile.start': async () => {
    profiler = new Session();
    profiler.connect();
    await post(profiler, 'Profiler.enable');
    await post(profiler, 'Profiler.setSamplingInterval', { interval: 200 });
    await post(profiler, 'Profiler.start');
  },
  'profile.stop': async ({ path }: { path: string }) => {
    const { profile } = (await post(profiler!, 'Profiler.stop')) as { profile: unknown };
    writeFileSync(path, JSON.stringify(profile));
    profiler!.disconnect();
    profiler = undefined;
    return path;
  },
  stop: async () => {
    await app.close();
    setImmediate(() => process.exit(0));
  },
};

async function main(): Promise<void> {
  app = await createApp(loadConfig(process.env), { extraModules: [BenchRoutesModule] });
  markRequests(app.getHttpServer());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.on('message', (request: Request) => {
    const handler = handlers[request.type];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown request ${request.type}`);
        return handler(request.payload as never);
      })
      .then(
        (result) => process.send!({ id: request.id, result: result ?? null } satisfies Reply),
        (error: unknown) =>
          process.send!({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.send!({ ready: true, port, pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench server failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
