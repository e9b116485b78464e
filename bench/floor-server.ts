/**
 * The floor a Gatehouse route is measured against: bare Fastify (no Nest, no guards, no logging, no metrics) on
 * 127.0.0.1, answering the same small JSON as `GET /api/bench/public`. A child of the driver, as the app is, so
 * both pay the same process and loopback costs. Sends `{ ready, port }` once it listens.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/floor', () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send!({ ready: true, port });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

void main();
