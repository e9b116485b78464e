// Builds the demo page (apps/api/src/demo/web), bundled with the browser client it imports as @gatehouse/client
// (resolved to libs/client/src through the tsconfig paths), into dist/public,
// which `npm start` serves at `/`. Runs after `nest build` (that one empties dist/).
//
//   node scripts/build-demo.mjs                 type-check, then bundle into dist/public
//   node scripts/build-demo.mjs --no-typecheck  bundle only (the browser tests use this: it takes well under a second)
//   node scripts/build-demo.mjs --watch         rebuild on every change (with `npm run start:dev`)
//   node scripts/build-demo.mjs --outdir DIR    somewhere else
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps/api/src/demo/web');
const args = process.argv.slice(2);
const outdirIndex = args.indexOf('--outdir');
const outdir = outdirIndex >= 0 ? resolve(args[outdirIndex + 1]) : join(root, 'dist/public');
const watch = args.includes('--watch');

if (!args.includes('--no-typecheck') && !watch) {
  // esbuild strips types without checking them: tsc checks the page and the client against DOM types first.
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(web, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const copyStatic = () => {
  for (const file of ['index.html', 'styles.css']) copyFileSync(join(web, file), join(outdir, file));
};

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [join(web, 'main.ts')],
  outfile: join(outdir, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
  tsconfig: join(web, 'tsconfig.json'),
  sourcemap: true,
  minify: !watch,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [{ name: 'copy-static', setup: (build) => build.onEnd(copyStatic) }],
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  process.stdout.write(`watching ${web} and libs/client: writing ${outdir}\n`);
} else {
  await esbuild.build(options);
  process.stdout.write(`demo page built into ${outdir}\n`);
}
