/**
 * `npm run client:types`: reads the OpenAPI document of the app (built on a throwaway embedded database) and
 * writes the client's wire types to libs/client/src/api-types.ts. It lives here, with the app's other tooling, so
 * that the client library knows nothing of the app.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readOpenApiDocument } from '../apps/api/src/openapi-document';
import { renderTypes } from '../libs/client/tools/openapi-to-ts';

export const API_TYPES_FILE = resolve(__dirname, '../libs/client/src/api-types.ts');

async function main(): Promise<void> {
  writeFileSync(API_TYPES_FILE, renderTypes(await readOpenApiDocument()));
  process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
