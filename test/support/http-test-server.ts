import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** A new HTTP server listening on the loopback address, on `port` (0 or absent: any free one). */
export async function listenOnLoopback(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes the port, open connections included, so that the same port can be listened on again. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
