/**
 * `ts-node scripts/write-openapi.ts <file>`: writes the OpenAPI document the app serves to <file>, for
 * `npm run lint:openapi`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readOpenApiDocument } from '../apps/api/src/openapi-document';

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error('usage: write-openapi.ts <file>');
  mkdirSync(dirname(resolve(target)), { recursive: true });
  writeFileSync(resolve(target), `${JSON.stringify(await readOpenApiDocument(), null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
