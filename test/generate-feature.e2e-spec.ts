import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

interface Run {
  status: number | null;
  output: string;
}

/** Runs a command in the copy and answers its exit status with stdout and stderr together. */
function run(cwd: string, command: string, args: string[]): Promise<Run> {
  // The nested jest must not think it is one of this run's workers.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('JEST_')));
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: { ...env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status, output }));
  });
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });

/**
 * A copy of the working tree as it is (tracked and new files, not ignored ones), with its own git history of one
 * commit, so that what the generator changes shows in `git status`; node_modules is shared through a symlink.
 */
function copyWorkingTree(): string {
  const copy = mkdtempSync(join(tmpdir(), 'gatehouse-generate-'));
  const files = git(ROOT, 'ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0');
  for (const file of files.filter((path) => path && existsSync(join(ROOT, path)))) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  git(copy, 'init', '-q');
  git(copy, 'add', '-A');
  git(copy, 'commit', '-qm', 'base');
  return copy;
}

/** The files of a feature's folder under apps/api/src. */
const featureFolder = (plural: string, singular: string) =>
  [
    `${plural}.controller.ts`,
    `${plural}.module.ts`,
    `${plural}.service.ts`,
    `dto/${singular}.dto.ts`,
    `dto/create-${singular}.dto.ts`,
    `dto/update-${singular}.dto.ts`,
    `entities/${singular}.entity.ts`,
  ].map((file) => `apps/api/src/${plural}/${file}`);

/** Each route handler's method and the guards right under it, e.g. `Post RequiresScope('bookmarks:write')`. */
const routeGuards = (controller: string) =>
  [...controller.matchAll(/@(Post|Get|Patch|Delete)\([^)]*\)((?:\n\s*@Requires?\w+\('[^']+'\))+)/g)].map(
    ([, method, decorators]) => [method, ...decorators.match(/\w+\('[^']+'\)/g)!].join(' '),
  );

const changedFiles = (copy: string) =>
  git(copy, 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3))
    .sort();

describe('npm run generate:feature', () => {
  let copy: string;

  beforeAll(() => {
    copy = copyWorkingTree();
  }, 60_000);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it.each([
    ['an upper-case name', 'Bookmarks', /lower-case letters and hyphens/],
    ['a singular name', 'bookmark', /does not read as a plural/],
    ['an existing feature', 'notes', /apps\/api\/src\/notes already exists/],
  ])(
    'refuses %s with a clear message and writes nothing',
    async (_case, name, message) => {
      const result = await run(copy, 'npm', ['run', '--silent', 'generate:feature', '--', name]);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(message);
      expect(result.output).not.toMatch(/\n\s+at /);
      expect(changedFiles(copy)).toEqual([]);
    },
    60_000,
  );

  it('refuses to overwrite a file that is already there, and writes nothing', async () => {
    const stray = join(copy, 'test/bookmarks.e2e-spec.ts');
    writeFileSync(stray, '// somebody else’s work\n');
    try {
      const result = await run(copy, 'npm', ['run', '--silent', 'generate:feature', '--', 'bookmarks']);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/refusing to overwrite test\/bookmarks\.e2e-spec\.ts/);
      expect(changedFiles(copy)).toEqual(['test/bookmarks.e2e-spec.ts']);
      expect(readFileSync(stray, 'utf8')).toBe('// somebody else’s work\n');
    } finally {
      rmSync(stray);
    }
  }, 60_000);

  it('refuses a name whose scopes another feature already declares, and writes nothing', async () => {
    const stray = join(copy, 'apps/api/src/users/saved-scopes.ts');
    writeFileSync(stray, "export const declared = { 'bookmarks:write': 'Change your bookmarks' };\n");
    try {
      const result = await run(copy, 'npm', ['run', '--silent', 'generate:feature', '--', 'bookmarks']);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(
        /the scope bookmarks:write is already declared \(apps\/api\/src\/users\/saved-scopes\.ts\)/,
      );
      expect(changedFiles(copy)).toEqual(['apps/api/src/users/saved-scopes.ts']);
    } finally {
      rmSync(stray);
    }
  }, 60_000);

  // Two generations, a type check, a lint and two e2e suites on two databases: minutes when the machine is shared.
  it('writes a user’s feature and an organization’s (--org) that compile, lint and pass their own e2e tests on both databases, with no hand edits', async () => {
    const generated = await run(copy, 'npm', ['run', '--silent', 'generate:feature', '--', 'bookmarks']);
    expect(generated.output).not.toMatch(/generate:feature:/);
    expect(generated.status).toBe(0);

    const migration = changedFiles(copy).find((path) => /migrations\/\d+-create-bookmarks\.ts$/.test(path));
    expect(migration).toBeDefined();
    const registered = [
      'apps/api/src/app.module.ts',
      'libs/client/src/api-types.ts',
      'libs/database/src/migrations/index.ts',
      'ormconfig.ts',
    ];
    expect(changedFiles(copy)).toEqual(
      [
        ...registered,
        ...featureFolder('bookmarks', 'bookmark'),
        migration!,
        'test/bookmarks.e2e-spec.ts',
      ].sort(),
    );
    expect(readFileSync(join(copy, 'libs/client/src/api-types.ts'), 'utf8')).toMatch(
      /export interface BookmarkPageDto \{\n {2}items: BookmarkDto\[\];/,
    );
    // The scopes that open the routes to API keys, declared and used as notes.controller.ts does.
    const controller = readFileSync(join(copy, 'apps/api/src/bookmarks/bookmarks.controller.ts'), 'utf8');
    expect(controller).toContain(
      "defineScopes({\n  'bookmarks:read': 'Read your bookmarks',\n" +
        "  'bookmarks:write': 'Create, change and delete your bookmarks',\n});",
    );
    expect(routeGuards(controller)).toEqual([
      "Post RequiresScope('bookmarks:write')",
      "Get RequiresScope('bookmarks:read')",
      "Get RequiresScope('bookmarks:read')",
      "Patch RequiresScope('bookmarks:write')",
      "Delete RequiresScope('bookmarks:write')",
    ]);
    const stamps = git(copy, 'ls-files', 'libs/database/src/migrations');
    const newest = Math.max(...[...stamps.matchAll(/\/(\d+)-/g)].map((match) => Number(match[1])));
    expect(Number(/(\d+)-create-bookmarks/.exec(migration!)![1])).toBeGreaterThan(newest);

    // The same with --org, in the same copy: one type check, one lint and one jest run serve both.
    const bookmarksWritten = changedFiles(copy);
    const orgGenerated = await run(copy, 'npm', [
      'run',
      '--silent',
      'generate:feature',
      '--',
      'boards',
      '--org',
    ]);
    expect(orgGenerated.output).not.toMatch(/generate:feature:/);
    expect(orgGenerated.status).toBe(0);
    expect(orgGenerated.output).toContain('/api/orgs/:id/boards is ready.');
    const orgMigration = changedFiles(copy).find((path) => /migrations\/\d+-create-boards\.ts$/.test(path));
    expect(Number(/(\d+)-create-boards/.exec(orgMigration!)![1])).toBeGreaterThan(
      Number(/(\d+)-create-bookmarks/.exec(migration!)![1]),
    );
    expect(changedFiles(copy)).toEqual(
      [
        ...bookmarksWritten,
        ...featureFolder('boards', 'board'),
        orgMigration!,
        'test/boards.e2e-spec.ts',
      ].sort(),
    );
    expect(readFileSync(join(copy, 'libs/client/src/api-types.ts'), 'utf8')).toMatch(
      /export interface BoardPageDto \{\n {2}items: BoardDto\[\];/,
    );
    // The permissions granted to the organization's roles, each route guarded by one and by the matching scope,
    // as projects.controller.ts does.
    const orgController = readFileSync(join(copy, 'apps/api/src/boards/boards.controller.ts'), 'utf8');
    expect(orgController).toContain("@Controller('orgs/:id/boards')");
    expect(orgController).toContain(
      "grantPermissions({\n  'boards:read': ['owner', 'admin', 'member'],\n  'boards:write': ['owner', 'admin'],\n});",
    );
    expect(routeGuards(orgController)).toEqual([
      "Post RequirePermission('boards:write') RequiresScope('boards:write')",
      "Get RequirePermission('boards:read') RequiresScope('boards:read')",
      "Get RequirePermission('boards:read') RequiresScope('boards:read')",
      "Patch RequirePermission('boards:write') RequiresScope('boards:write')",
      "Delete RequirePermission('boards:write') RequiresScope('boards:write')",
    ]);
    expect(readFileSync(join(copy, orgMigration!), 'utf8')).toContain(
      'FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE',
    );
    expect(readFileSync(join(copy, 'apps/api/src/app.module.ts'), 'utf8')).toMatch(
      /BookmarksModule,\n\s+BoardsModule,\n\s+\.\.\.\(options\.extraModules/,
    );

    const written = changedFiles(copy);
    // Independent checks, side by side, to keep the suite's wall time down.
    const [compiled, linted, tested] = await Promise.all([
      run(copy, 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']),
      run(copy, 'npx', ['eslint', '--max-warnings=0', ...written]),
      run(copy, 'npx', [
        'jest',
        '--maxWorkers=2',
        '--verbose',
        'test/bookmarks.e2e-spec.ts',
        'test/boards.e2e-spec.ts',
      ]),
    ]);
    // The root project's type check, as npm run typecheck makes it: the new files type-check with the rest.
    expect(compiled.output.split('\n').filter((line) => /error TS/.test(line))).toEqual([]);
    expect(compiled.status).toBe(0);
    expect(linted.output.trim()).toBe('');
    expect(linted.status).toBe(0);
    // On failure, the nested run's own report is the useful message.
    expect(tested.status === 0 ? 'passed' : tested.output).toBe('passed');
    expect(tested.output).toMatch(/bookmarks: owner-scoped CRUD at \/api\/bookmarks \[PGlite\]/);
    if (process.env.TEST_DATABASE_URL) expect(tested.output).toMatch(/\[PostgreSQL\]/);
    expect(tested.output).toMatch(/Tests: +\d+ passed, \d+ total/);
    // The app built from the copy lists the new scopes at GET /api/auth/scopes, on each database.
    const scopesChecked = /✓ declares bookmarks:read and bookmarks:write, and each route needs one of them/g;
    expect(tested.output.match(scopesChecked)).toHaveLength(process.env.TEST_DATABASE_URL ? 2 : 1);
    // The organization's feature, at /api/orgs/:id/boards, holds each role to the grants, on each database.
    expect(tested.output).toMatch(/boards: organization-owned CRUD at \/api\/orgs\/:id\/boards \[PGlite\]/);
    const rolesChecked =
      /✓ a member whose role is member: reads, 403 to writes, writing nothing, as the grants say/g;
    expect(tested.output.match(rolesChecked)).toHaveLength(process.env.TEST_DATABASE_URL ? 2 : 1);
    const orgScopesChecked = /✓ declares boards:read and boards:write, and each route needs one of them/g;
    expect(tested.output.match(orgScopesChecked)).toHaveLength(process.env.TEST_DATABASE_URL ? 2 : 1);
    expect(tested.output).toMatch(/Test Suites: +2 passed, 2 total/);

    const again = await run(copy, 'npm', ['run', '--silent', 'generate:feature', '--', 'bookmarks']);
    expect(again.status).toBe(1);
    expect(again.output).toMatch(/apps\/api\/src\/bookmarks already exists/);
    expect(changedFiles(copy)).toEqual(written);
  }, 600_000);
});
