/**
 * The two files that differ most with who owns a feature's rows: the controller (its routes, and what guards them)
 * and the e2e suite that checks it. A user's feature acts for the caller, as notes; an organization's acts in the
 * caller's active organization, the route's `:id`, with permissions granted to the organization's roles, as
 * projects. Both declare scopes that open their routes to API keys.
 */
import type { FeatureOwner } from './feature-files';
import { FeatureNames } from './feature-names';

/** How a feature's routes read for one kind of owner. */
interface Routes {
  /** The controller's path, and the same with an item, as the OpenAPI document writes them. */
  path: string;
  openApiPath: string;
  openApiItemPath: string;
  /** The item's route parameter. */
  itemParam: string;
  /** What the controller imports besides Nest's own, and what it states before the class. */
  imports: string;
  grants: string;
  scopesNote: string;
  scopeDescriptions: { read: string; write: string };
  /** The class's comment. */
  summary: string;
  /** The decorators that guard a route needing `permission`. */
  guard: (permission: string) => string;
  /** The handlers' first parameter (the owner), and how the service is given the owner's id. */
  ownerParam: string;
  ownerId: string;
  whose: string;
  /** The e2e suite: its support module and function, the options that place the collection, how a caller is made. */
  suite: { module: string; describe: string; kind: string; place: string; newCaller: string };
  /** Checks of this owner's features only, in the e2e suite's callback. */
  ownerChecks: (n: FeatureNames) => string;
}

/** A string literal of `text`, in single quotes unless it holds one (as Prettier would write it). */
const quoted = (text: string) => (text.includes("'") ? `"${text}"` : `'${text}'`);

function routesOf(n: FeatureNames, owner: FeatureOwner): Routes {
  const scope = (permission: string) => `@RequiresScope('${permission}')`;
  if (owner === 'user') {
    return {
      path: n.plural,
      openApiPath: `/api/${n.plural}`,
      openApiItemPath: `/api/${n.plural}/{id}`,
      itemParam: 'id',
      imports: `import { ApiResponseCodes, AuthUser, CurrentUser, defineScopes, RequiresScope } from '@gatehouse/auth';`,
      grants: '',
      scopesNote: 'What an API key may be given for this feature: reading, and writing.',
      scopeDescriptions: {
        read: `Read your ${n.pluralWords}`,
        write: `Create, change and delete your ${n.pluralWords}`,
      },
      summary: `Owner-scoped CRUD: the global guard makes every route here require a valid access token; @RequiresScope() opens a
 * route to API keys holding that scope.`,
      guard: scope,
      ownerParam: '@CurrentUser() user: AuthUser',
      ownerId: 'user.id',
      whose: 'The caller’s',
      suite: {
        module: 'owner-scoped-crud',
        describe: 'describeOwnerScopedCrud',
        kind: 'owner-scoped',
        place: `path: '/api/${n.plural}',`,
        newCaller: 'signUp',
      },
      ownerChecks: (n) => {
        const routes = n.pluralProperty;
        return `
    it('is the caller’s data: in their account’s export, and erased with the account', async () => {
      const session = await ${routes}.signUp();
      const bearer = \`Bearer \${session.accessToken}\`;
      const made = await ${routes}.create(session, { title: 'exported, then erased' });
      const exported = await ${routes}.app.http().get('/api/users/me/export').set('Authorization', bearer);
      expect(exported.status).toBe(200);
      expect(exported.body.${routes}).toEqual([expect.objectContaining({ id: made.body.id, title: 'exported, then erased' })]);
      await ${routes}.app.http().delete('/api/users/me').set('Authorization', bearer).expect(204);
      expect(await ${routes}.app.query('SELECT id FROM ${n.table} WHERE owner_id = $1', [session.userId])).toEqual([]);
    });
`;
      },
    };
  }
  const itemParam = `${n.singularProperty}Id`;
  return {
    path: `orgs/:id/${n.plural}`,
    openApiPath: `/api/orgs/{id}/${n.plural}`,
    openApiItemPath: `/api/orgs/{id}/${n.plural}/{${itemParam}}`,
    itemParam,
    imports: `import { ApiResponseCodes, defineScopes, RequirePermission, RequiresScope } from '@gatehouse/auth';
import { grantPermissions } from '@gatehouse/orgs';`,
    grants: `// What each role of an organization may do with its ${n.pluralWords}: every member reads, owners and admins write.
grantPermissions({
  '${n.readScope}': ['owner', 'admin', 'member'],
  '${n.writeScope}': ['owner', 'admin'],
});

`,
    scopesNote:
      "What an API key made in an organization may be given for this feature; it still needs its user's permission.",
    scopeDescriptions: {
      read: `Read your organization's ${n.pluralWords}`,
      write: `Create, change and delete your organization's ${n.pluralWords}`,
    },
    summary: `Organization-owned CRUD: the organization is the route's \`:id\`, which must be the caller's active one, and
 * @RequirePermission checks the role's permission in the access token; no database read before the feature's own.
 * An API key made in the organization reaches a route when it holds the route's scope (@RequiresScope) and its
 * user's role the permission.`,
    guard: (permission) => `@RequirePermission('${permission}')\n  ${scope(permission)}`,
    ownerParam: `@Param('id') orgId: string`,
    ownerId: 'orgId',
    whose: 'The organization’s',
    suite: {
      module: 'org-scoped-crud',
      describe: 'describeOrgScopedCrud',
      kind: 'organization-owned',
      place: `collection: '${n.plural}',
    // As the controller's grantPermissions gives them: each role is held to them.
    grants: { read: ['owner', 'admin', 'member'], write: ['owner', 'admin'] },`,
      newCaller: 'newCaller',
    },
    // Its rows are the organization's, not a member's: no user's export or deletion is about them.
    ownerChecks: () => '',
  };
}

function controller(n: FeatureNames, r: Routes): string {
  const dto = `${n.singularClass}Dto`;
  const service = `this.${n.pluralProperty}`;
  const itemId = `@Param('${r.itemParam}', new ParseUUIDPipe()) id: string`;
  return `${r.imports}
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto } from '../common/page-query.dto';
import { Create${n.singularClass}Dto } from './dto/create-${n.singular}.dto';
import { ${dto}, ${n.singularClass}PageDto } from './dto/${n.singular}.dto';
import { Update${n.singularClass}Dto } from './dto/update-${n.singular}.dto';
import { ${n.pluralClass}Service } from './${n.plural}.service';

${r.grants}// ${r.scopesNote}
defineScopes({
  '${n.readScope}': ${quoted(r.scopeDescriptions.read)},
  '${n.writeScope}': ${quoted(r.scopeDescriptions.write)},
});

/**
 * ${r.summary}
 */
@ApiTags('${n.plural}')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Controller('${r.path}')
export class ${n.pluralClass}Controller {
  constructor(private readonly ${n.pluralProperty}: ${n.pluralClass}Service) {}

  @Post()
  ${r.guard(n.writeScope)}
  @ApiCreatedResponse({ type: ${dto} })
  @ApiResponseCodes(400)
  async create(${r.ownerParam}, @Body() body: Create${n.singularClass}Dto): Promise<${dto}> {
    return ${dto}.from(await ${service}.create(${r.ownerId}, body));
  }

  @Get()
  ${r.guard(n.readScope)}
  @ApiOkResponse({ type: ${n.singularClass}PageDto, description: '${r.whose} ${n.pluralWords}, newest first' })
  @ApiResponseCodes(400)
  async list(${r.ownerParam}, @Query() page: PageQueryDto): Promise<${n.singularClass}PageDto> {
    const [items, total] = await ${service}.list(${r.ownerId}, page.limit, page.offset);
    return { items: items.map((${n.singularProperty}) => ${dto}.from(${n.singularProperty})), total };
  }

  @Get(':${r.itemParam}')
  ${r.guard(n.readScope)}
  @ApiOkResponse({ type: ${dto} })
  @ApiResponseCodes(400, 404)
  async get(${r.ownerParam}, ${itemId}): Promise<${dto}> {
    return ${dto}.from(await ${service}.get(${r.ownerId}, id));
  }

  @Patch(':${r.itemParam}')
  ${r.guard(n.writeScope)}
  @ApiOkResponse({ type: ${dto} })
  @ApiResponseCodes(400, 404)
  async update(
    ${r.ownerParam},
    ${itemId},
    @Body() body: Update${n.singularClass}Dto,
  ): Promise<${dto}> {
    return ${dto}.from(await ${service}.update(${r.ownerId}, id, body));
  }

  @Delete(':${r.itemParam}')
  ${r.guard(n.writeScope)}
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiResponseCodes(400, 404)
  async remove(${r.ownerParam}, ${itemId}): Promise<void> {
    await ${service}.remove(${r.ownerId}, id);
  }
}
`;
}

function e2eSpec(n: FeatureNames, r: Routes): string {
  const routes = n.pluralProperty;
  const { suite } = r;
  return `import { ${suite.describe} } from './support/${suite.module}';

// The checks every ${suite.kind} resource passes; this feature's own checks go in the callback.
${suite.describe}(
  '${n.pluralWords}: ${suite.kind} CRUD at ${r.openApiPath.replace('{id}', ':id')}',
  {
    ${suite.place}
    table: '${n.table}',
    keys: ['createdAt', 'id', 'title', 'updatedAt'],
    create: (label) => ({ title: label }),
    updates: [['of the title', { title: 'a new title' }]],
    invalidCreates: [
      ['a missing title', {}],
      ['an empty title', { title: '' }],
      ['a non-string title', { title: 42 }],
      ['a null title', { title: null }],
      ['a title over 200 characters', { title: 'x'.repeat(201) }],
      ['a NUL character in the title', { title: 'before\\u0000after' }],
    ],
    invalidUpdates: [
      ['an empty title', { title: '' }],
      ['a null title', { title: null }],
      ['a title over 200 characters', { title: 'y'.repeat(201) }],
    ],
  },
  (${routes}) => {
    it('accepts a title of exactly 200 characters', async () => {
      const session = await ${routes}.${suite.newCaller}();
      const title = 'x'.repeat(200);
      const response = await ${routes}.create(session, { title });
      expect(response.status).toBe(201);
      expect(response.body.title).toBe(title);
    });

    it('declares ${n.readScope} and ${n.writeScope}, and each route needs one of them', async () => {
      const scopes = await ${routes}.app.http().get('/api/auth/scopes').expect(200);
      expect(scopes.body).toEqual(
        expect.arrayContaining([
          { scope: '${n.readScope}', description: ${quoted(r.scopeDescriptions.read)} },
          { scope: '${n.writeScope}', description: ${quoted(r.scopeDescriptions.write)} },
        ]),
      );
      // @RequiresScope() marks each operation of the OpenAPI document with its scope.
      const { paths } = (await ${routes}.app.http().get('/api/docs-json').expect(200)).body;
      const scopeOf = (path: string, method: string): unknown => paths[path]?.[method]?.['x-gatehouse-scope'];
      expect({
        create: scopeOf('${r.openApiPath}', 'post'),
        list: scopeOf('${r.openApiPath}', 'get'),
        get: scopeOf('${r.openApiItemPath}', 'get'),
        update: scopeOf('${r.openApiItemPath}', 'patch'),
        remove: scopeOf('${r.openApiItemPath}', 'delete'),
      }).toEqual({
        create: '${n.writeScope}',
        list: '${n.readScope}',
        get: '${n.readScope}',
        update: '${n.writeScope}',
        remove: '${n.writeScope}',
      });
    });
${r.ownerChecks(n)}  },
);
`;
}

/** The controller and the e2e suite of a feature whose rows belong to `owner`. */
export function ownerSpecificFiles(
  n: FeatureNames,
  owner: FeatureOwner,
): { controller: string; e2eSpec: string } {
  const routes = routesOf(n, owner);
  return { controller: controller(n, routes), e2eSpec: e2eSpec(n, routes) };
}
