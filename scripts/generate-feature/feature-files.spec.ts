import { featureFiles, GeneratedFile } from './feature-files';
import { featureNames, FeatureNames } from './feature-names';

const names = (plural: string) => featureNames(plural) as FeatureNames;
const textOf = (files: GeneratedFile[], ending: string) =>
  files.find((file) => file.path.endsWith(ending))!.text;

/** Each route handler's HTTP method and the guards right under it, e.g. `Post RequiresScope('boards:write')`. */
const guards = (controller: string) =>
  [...controller.matchAll(/@(Post|Get|Patch|Delete)\([^)]*\)((?:\n\s*@Requires?\w+\('[^']+'\))+)/g)].map(
    ([, method, decorators]) => [method, ...decorators.match(/\w+\('[^']+'\)/g)!].join(' '),
  );

describe('the files of a feature', () => {
  const user = featureFiles(names('boards'), 1767400000000);
  const org = featureFiles(names('boards'), 1767400000000, 'organization');

  it('are the same files whoever owns the rows', () => {
    expect(org.map((file) => file.path)).toEqual(user.map((file) => file.path));
    expect(user.map((file) => file.path)).toContain(
      'libs/database/src/migrations/1767400000000-create-boards.ts',
    );
  });

  it('of a user’s feature: /api/<plural>, scopes for API keys, rows owned by a user', () => {
    const controller = textOf(user, 'boards.controller.ts');
    expect(controller).toContain("@Controller('boards')");
    expect(controller).toContain("defineScopes({\n  'boards:read': 'Read your boards',");
    expect(guards(controller)).toEqual([
      "Post RequiresScope('boards:write')",
      "Get RequiresScope('boards:read')",
      "Get RequiresScope('boards:read')",
      "Patch RequiresScope('boards:write')",
      "Delete RequiresScope('boards:write')",
    ]);
    expect(textOf(user, 'board.entity.ts')).toContain(
      "@Column({ name: 'owner_id', type: 'uuid' })\n  ownerId: string;",
    );
    expect(textOf(user, 'create-boards.ts')).toContain(
      'CONSTRAINT "FK_boards_owner" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE',
    );
    expect(textOf(user, 'boards.e2e-spec.ts')).toContain("from './support/owner-scoped-crud'");
  });

  it('of a user’s feature: its rows registered as the user’s data, for the account’s export and deletion', () => {
    const module = textOf(user, 'boards.module.ts');
    expect(module).toContain("import { ownedRows, registerUserData, UsersModule } from '@gatehouse/users';");
    expect(module).toContain('imports: [TypeOrmModule.forFeature([Board]), UsersModule],');
    expect(module).toContain(
      "registerUserData(\n      ownedRows({\n        name: 'boards',\n        table: 'boards',\n" +
        "        ownerColumn: 'owner_id',\n" +
        "        columns: { id: 'id', title: 'title', createdAt: 'created_at', updatedAt: 'updated_at' },",
    );
    const readingLists = textOf(
      featureFiles(names('reading-lists'), 1767400000000),
      'reading-lists.module.ts',
    );
    expect(readingLists).toContain("name: 'readingLists',\n        table: 'reading_lists',");
    const e2e = textOf(user, 'boards.e2e-spec.ts');
    expect(e2e).toContain("get('/api/users/me/export')");
    expect(e2e).toContain('expect(exported.body.boards).toEqual(');
    expect(e2e).toContain("delete('/api/users/me')");
  });

  it('of an organization’s feature: its rows are the organization’s, registered as no user’s data', () => {
    const module = textOf(org, 'boards.module.ts');
    expect(module).not.toContain('registerUserData');
    expect(module).not.toContain('UsersModule');
    expect(module).toMatch(/rows belong to the organization, not to a user/);
    expect(textOf(org, 'boards.e2e-spec.ts')).not.toContain('/api/users/me');
  });

  it('of an organization’s feature (--org): /api/orgs/:id/<plural>, permissions for roles, rows owned by the organization', () => {
    const controller = textOf(org, 'boards.controller.ts');
    expect(controller).toContain("@Controller('orgs/:id/boards')");
    expect(controller).toContain(
      "grantPermissions({\n  'boards:read': ['owner', 'admin', 'member'],\n  'boards:write': ['owner', 'admin'],\n});",
    );
    expect(controller).toContain(
      "defineScopes({\n  'boards:read': \"Read your organization's boards\",\n" +
        "  'boards:write': \"Create, change and delete your organization's boards\",\n});",
    );
    expect(controller).not.toContain('CurrentUser');
    expect(guards(controller)).toEqual([
      "Post RequirePermission('boards:write') RequiresScope('boards:write')",
      "Get RequirePermission('boards:read') RequiresScope('boards:read')",
      "Get RequirePermission('boards:read') RequiresScope('boards:read')",
      "Patch RequirePermission('boards:write') RequiresScope('boards:write')",
      "Delete RequirePermission('boards:write') RequiresScope('boards:write')",
    ]);
    expect(controller).toContain("@Get(':boardId')");

    const entity = textOf(org, 'board.entity.ts');
    expect(entity).toContain("import { Organization } from '@gatehouse/orgs';");
    expect(entity).toContain("@Column({ name: 'organization_id', type: 'uuid' })\n  organizationId: string;");
    expect(entity).toContain("@ManyToOne(() => Organization, { onDelete: 'CASCADE' })");
    const migration = textOf(org, 'create-boards.ts');
    expect(migration).toContain(
      'CONSTRAINT "FK_boards_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE',
    );
    expect(migration).toContain('ON "boards" ("organization_id", "created_at" DESC, "id")');
    for (const file of org) expect(file.text).not.toMatch(/owner_?id/i);
    expect(textOf(org, 'boards.service.ts')).toContain('findOneBy({ id, organizationId })');
    expect(textOf(org, 'boards.e2e-spec.ts')).toContain("from './support/org-scoped-crud'");
  });
});
