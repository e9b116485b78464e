import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { outboxMessages, sentTo } from './support/outbox';
import { TestApp } from './support/test-app';

const ROOT = resolve(__dirname, '..');
const CLIENT_DIR = join(ROOT, 'libs/client');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Children run as a user's shell would: without jest's experimental VM flags. */
const childEnv = { ...process.env, NODE_OPTIONS: '' };

/** Runs a command; a failure carries what it printed on both streams (tsc reports on stdout). */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env: childEnv, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/**
 * `@gatehouse/client` as a front-end repository gets it: `npm pack` in libs/client (its prepack builds it),
 * the tarball installed offline into an empty project, then imported by plain Node ESM and type-checked by a
 * consumer compiled with `moduleResolution: nodenext`. The installed copy then signs in against the real app.
 * PGlite only: what is under test is the package, not the database.
 */
describe('@gatehouse/client as an installed package', () => {
  let work: string;
  let consumer: string;
  let tarball: string;
  let tarballEntries: string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-client-package-'));
    run('npm', ['pack', '--pack-destination', work, '--silent'], CLIENT_DIR);
    const packed = readdirSync(work).filter((name) => name.endsWith('.tgz'));
    expect(packed).toEqual(['gatehouse-client-0.1.0.tgz']);
    tarball = join(work, packed[0]);
    tarballEntries = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean).sort();

    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], consumer);
  }, 180_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('ships the built ESM, its type declarations, the README and nothing else', () => {
    // One module per concern of the client, each with its declarations.
    const modules = [
      'api-types',
      'client',
      // Sorted as the file names are: `dpop-key-store.*` before `dpop.*`.
      'dpop-key-store',
      'dpop',
      'encoding',
      'endpoints',
      'errors',
      'index',
      'options',
      'session',
      'step-up',
      'transport',
      'webauthn',
    ];
    expect(tarballEntries).toEqual([
      'package/README.md',
      ...modules.flatMap((name) => [`package/dist/${name}.d.ts`, `package/dist/${name}.js`]),
      'package/package.json',
    ]);
  });

  it('has no runtime dependencies, so it installs without a registry', () => {
    const manifest = JSON.parse(
      run(
        'node',
        ['-p', 'JSON.stringify(require("./node_modules/@gatehouse/client/package.json"))'],
        consumer,
      ),
    );
    expect(manifest).toMatchObject({ name: '@gatehouse/client', type: 'module', sideEffects: false });
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(join(consumer, 'node_modules'))).toEqual(['.package-lock.json', '@gatehouse']);
  });

  it('is imported by name from a plain Node ESM script', () => {
    writeFileSync(
      join(consumer, 'names.mjs'),
      "import * as client from '@gatehouse/client';\nconsole.log(JSON.stringify(Object.keys(client).sort()));\n",
    );
    expect(JSON.parse(run('node', ['names.mjs'], consumer))).toEqual([
      'ApiError',
      'ENDPOINTS',
      'GatehouseClient',
    ]);
  });

  it('gives a TypeScript consumer the real types through its exports map', () => {
    writeFileSync(
      join(consumer, 'typed.ts'),
      [
        "import { ApiError, GatehouseClient, type LoginResult, type UserDto } from '@gatehouse/client';",
        "const client = new GatehouseClient({ baseUrl: 'https://api.example.com', autoRefresh: true });",
        'export async function signIn(email: string, password: string): Promise<UserDto | string> {',
        '  const result: LoginResult = await client.login(email, password);',
        '  return result.mfaRequired ? result.mfaToken : result.user;',
        '}',
        'export const askForCode = (email: string): Promise<void> => client.requestEmailCode(email);',
        'export async function signInWithCode(email: string, code: string): Promise<UserDto | string> {',
        '  const result: LoginResult = await client.verifyEmailCode(email, code);',
        '  return result.mfaRequired ? result.mfaToken : result.user;',
        '}',
        'export const isApiError = (error: unknown): boolean => error instanceof ApiError && error.status === 401;',
        '// @ts-expect-error the options are typed, not any',
        'new GatehouseClient({ baseUrl: 42 });',
        '',
      ].join('\n'),
    );
    const options = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom'];
    const resolution = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
    expect(() => run('node', [TSC, ...options, ...resolution, 'typed.ts'], consumer)).not.toThrow();
  });

  describe('against the running app', () => {
    let app: TestApp;
    let baseUrl: string;

    beforeAll(async () => {
      app = await TestApp.start('pglite');
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    afterAll(async () => {
      await app.stop();
    });

    it('logs in and makes an authenticated call from the installed copy', async () => {
      const email = uniqueEmail('package');
      await register(app, email);
      writeFileSync(
        join(consumer, 'sign-in.mjs'),
        [
          "import { ApiError, GatehouseClient } from '@gatehouse/client';",
          '// Node has no Web Locks or passkeys, and a channel would keep the process alive.',
          'const client = new GatehouseClient({ baseUrl: process.argv[2], locks: null, channel: null });',
          'const before = await client.apiFetch("/api/users/me");',
          'const result = await client.login(process.argv[3], process.argv[4]);',
          'const me = await client.me();',
          'let wrong;',
          'try { await client.login(process.argv[3], "not the password"); } catch (error) {',
          '  wrong = error instanceof ApiError ? error.status : String(error);',
          '}',
          'client.close();',
          'console.log(JSON.stringify({ before: before.status, mfa: result.mfaRequired, email: me.email, wrong }));',
        ].join('\n'),
      );
      // Asynchronously: the app answering the script runs in this process.
      const { stdout } = await promisify(execFile)('node', ['sign-in.mjs', baseUrl, email, PASSWORD], {
        cwd: consumer,
        env: childEnv,
        encoding: 'utf8',
      });
      expect(JSON.parse(stdout)).toEqual({ before: 401, mfa: false, email, wrong: 401 });
    });

    it('asks for a code by email and signs in with it from the installed copy', async () => {
      const email = uniqueEmail('package-code');
      await register(app, email);
      const script = (name: string, lines: string[]) =>
        writeFileSync(
          join(consumer, name),
          [
            "import { ApiError, GatehouseClient } from '@gatehouse/client';",
            'const client = new GatehouseClient({ baseUrl: process.argv[2], locks: null, channel: null });',
            ...lines,
            'client.close();',
          ].join('\n'),
        );
      script('code-request.mjs', [
        'console.log(JSON.stringify(await client.requestEmailCode(process.argv[3]) ?? null));',
      ]);
      script('code-sign-in.mjs', [
        'let wrong;',
        'try { await client.verifyEmailCode(process.argv[3], "not the code"); } catch (error) {',
        '  wrong = error instanceof ApiError ? error.status : String(error);',
        '}',
        'const result = await client.verifyEmailCode(process.argv[3], process.argv[4]);',
        'const me = await client.me();',
        'console.log(JSON.stringify({ wrong, mfa: result.mfaRequired, email: me.email, verified: me.emailVerified }));',
      ]);
      const node = (args: string[]) =>
        promisify(execFile)('node', [...args], { cwd: consumer, env: childEnv, encoding: 'utf8' });

      expect(JSON.parse((await node(['code-request.mjs', baseUrl, email])).stdout)).toBeNull();
      // Without SMTP_URL the app delivers into its outbox directory: the code is on a line of its own there.
      let code: string | undefined;
      for (const deadline = Date.now() + 15_000; code === undefined && Date.now() < deadline;) {
        const mail = (await outboxMessages(app)).find(
          (message) => sentTo(email)(message) && message.subject === 'Your sign-in code',
        );
        code = /^(\d{8})$/m.exec(mail?.text ?? '')?.[1];
        if (code === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (code === undefined) throw new Error(`no sign-in code mailed to ${email}`);

      const { stdout } = await node(['code-sign-in.mjs', baseUrl, email, code]);
      expect(JSON.parse(stdout)).toEqual({ wrong: 401, mfa: false, email, verified: true });
    });
  });
});
