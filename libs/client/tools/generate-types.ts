/**
 * `npm run client:types`: builds the app on a throwaway embedded database, reads its OpenAPI document and writes
 * the client's wire types to libs/client/src/api-types.ts.
 */
import { loadConfig } from '@gatehouse/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../../../apps/api/src/app.factory';
import { OpenApiDocument, renderTypes } from './openapi-to-ts';

export const API_TYPES_FILE = resolve(__dirname, '../src/api-types.ts');

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-types-'));
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = await createApp(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'error' }), {
    logDestination: silent,
  });
  try {
    const response = await app.inject({ method: 'GET', url: '/api/docs-json' });
    writeFileSync(API_TYPES_FILE, renderTypes(JSON.parse(response.body) as OpenApiDocument));
    process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
