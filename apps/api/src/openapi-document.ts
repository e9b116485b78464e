import { loadConfig } from '@gatehouse/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createApp } from './app.factory';

/**
 * The OpenAPI document the app serves at `/api/docs-json`, read from the app `main.ts` builds, on a throwaway
 * embedded database and without listening on a port. For tools: the client's type generator and the linter.
 */
export async function readOpenApiDocument(): Promise<OpenAPIObject> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'));
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = await createApp(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'error' }), {
    logDestination: silent,
  });
  try {
    const response = await app.inject({ method: 'GET', url: '/api/docs-json' });
    if (response.statusCode !== 200) throw new Error(`GET /api/docs-json answered ${response.statusCode}`);
    return JSON.parse(response.body) as OpenAPIObject;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
