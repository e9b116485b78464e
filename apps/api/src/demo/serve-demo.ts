import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the built demo page is: `dist/public`, written by `npm run build` (scripts/build-demo.mjs).
 * Found from the compiled app (dist/apps/api/src/demo → dist/public) and from the sources that jest and ts-node
 * run (the folder holding package.json, then dist/public), so both use the same build.
 */
export function demoPageRoot(from = __dirname): string | undefined {
  const candidates = [resolve(from, '../../../../public')];
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      candidates.push(join(dir, 'dist', 'public'));
      break;
    }
  }
  return candidates.find((candidate) => existsSync(join(candidate, 'index.html')));
}

/**
 * Serves the demo page's files at `/`: one route per file found at start, and `/` for index.html. Nothing else
 * is matched, so every other path (`/api/...` included) still reaches Nest's router and its 404. These routes
 * are Fastify's, outside Nest's guards: the page is public, its API calls carry their own tokens.
 */
export async function serveDemoPage(app: NestFastifyApplication, root = demoPageRoot()): Promise<boolean> {
  if (!root) {
    new Logger('DemoPage').warn('the demo page is not built (npm run build): GET / is not served');
    return false;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    serveDotFiles: false,
    cacheControl: true,
    maxAge: 0,
  });
  return true;
}
