import { FeatureNames } from './feature-names';

/** One file the generator writes: a path from the repository root, and its text (prettier formats it after). */
export interface GeneratedFile {
  path: string;
  text: string;
}

function entity(n: FeatureNames): string {
  return `import { User } from '@gatehouse/users';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity({ name: '${n.table}' })
@Index('IDX_${n.table}_owner_newest', ['ownerId', 'createdAt', 'id'])
export class ${n.singularClass} {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_${n.table}' })
  id: string;

  /** Set from the access token, never from a request body. */
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'FK_${n.table}_owner' })
  owner?: User;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
`;
}

function createDto(n: FeatureNames): string {
  return `import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, NotContains } from 'class-validator';

// PostgreSQL text cannot hold a NUL character: refuse it as bad input rather than fail on it.
const NUL = '\\u0000';

export class Create${n.singularClass}Dto {
  @ApiProperty({ example: 'My first ${n.singularWords}', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NotContains(NUL, { message: 'title must not contain NUL characters' })
  title: string;
}
`;
}

function updateDto(n: FeatureNames): string {
  return `import { PartialType } from '@nestjs/swagger';
import { Create${n.singularClass}Dto } from './create-${n.singular}.dto';

export class Update${n.singularClass}Dto extends PartialType(Create${n.singularClass}Dto) {}
`;
}

function responseDto(n: FeatureNames): string {
  return `import { ApiProperty } from '@nestjs/swagger';
import { ${n.singularClass} } from '../entities/${n.singular}.entity';

export class ${n.singularClass}Dto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'My first ${n.singularWords}' })
  title: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;

  static from(${n.singularProperty}: ${n.singularClass}): ${n.singularClass}Dto {
    return {
      id: ${n.singularProperty}.id,
      title: ${n.singularProperty}.title,
      createdAt: ${n.singularProperty}.createdAt,
      updatedAt: ${n.singularProperty}.updatedAt,
    };
  }
}

export class ${n.singularClass}PageDto {
  @ApiProperty({ type: [${n.singularClass}Dto] })
  items: ${n.singularClass}Dto[];

  @ApiProperty({ description: 'How many ${n.pluralWords} the caller has in all', example: 42 })
  total: number;
}
`;
}

function service(n: FeatureNames): string {
  const notFound = `throw new NotFoundException('${n.singularWords} not found')`;
  return `import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Create${n.singularClass}Dto } from './dto/create-${n.singular}.dto';
import { Update${n.singularClass}Dto } from './dto/update-${n.singular}.dto';
import { ${n.singularClass} } from './entities/${n.singular}.entity';

/** ${n.pluralClass}, always scoped to their owner: another user's ${n.singularWords} is as missing as one that never existed. */
@Injectable()
export class ${n.pluralClass}Service {
  constructor(@InjectRepository(${n.singularClass}) private readonly ${n.pluralProperty}: Repository<${n.singularClass}>) {}

  create(ownerId: string, input: Create${n.singularClass}Dto): Promise<${n.singularClass}> {
    return this.${n.pluralProperty}.save(this.${n.pluralProperty}.create({ ownerId, title: input.title }));
  }

  list(ownerId: string, limit: number, offset: number): Promise<[${n.singularClass}[], number]> {
    return this.${n.pluralProperty}.findAndCount({
      where: { ownerId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  async get(ownerId: string, id: string): Promise<${n.singularClass}> {
    const ${n.singularProperty} = await this.${n.pluralProperty}.findOneBy({ id, ownerId });
    if (!${n.singularProperty}) ${notFound};
    return ${n.singularProperty};
  }

  /** Writes only the fields sent: a concurrent edit of another field is never undone by a stale copy. */
  async update(ownerId: string, id: string, changes: Update${n.singularClass}Dto): Promise<${n.singularClass}> {
    const fields: Partial<Pick<${n.singularClass}, 'title'>> = {};
    if (changes.title !== undefined) fields.title = changes.title;
    if (Object.keys(fields).length > 0) {
      const { affected } = await this.${n.pluralProperty}.update({ id, ownerId }, fields);
      if (!affected) ${notFound};
    }
    return this.get(ownerId, id);
  }

  async remove(ownerId: string, id: string): Promise<void> {
    const { affected } = await this.${n.pluralProperty}.delete({ id, ownerId });
    if (!affected) ${notFound};
  }
}
`;
}

function controller(n: FeatureNames): string {
  const dto = `${n.singularClass}Dto`;
  return `import { ApiResponseCodes, AuthUser, CurrentUser, defineScopes, RequiresScope } from '@gatehouse/auth';
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

// What an API key may be given for this feature: reading, and writing.
defineScopes({
  '${n.readScope}': 'Read your ${n.pluralWords}',
  '${n.writeScope}': 'Create, change and delete your ${n.pluralWords}',
});

/**
 * Owner-scoped CRUD: the global guard makes every route here require a valid access token; @RequiresScope() opens a
 * route to API keys holding that scope.
 */
@ApiTags('${n.plural}')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Controller('${n.plural}')
export class ${n.pluralClass}Controller {
  constructor(private readonly ${n.pluralProperty}: ${n.pluralClass}Service) {}

  @Post()
  @RequiresScope('${n.writeScope}')
  @ApiCreatedResponse({ type: ${dto} })
  @ApiResponseCodes(400)
  async create(@CurrentUser() user: AuthUser, @Body() body: Create${n.singularClass}Dto): Promise<${dto}> {
    return ${dto}.from(await this.${n.pluralProperty}.create(user.id, body));
  }

  @Get()
  @RequiresScope('${n.readScope}')
  @ApiOkResponse({ type: ${n.singularClass}PageDto, description: 'The caller’s ${n.pluralWords}, newest first' })
  @ApiResponseCodes(400)
  async list(@CurrentUser() user: AuthUser, @Query() page: PageQueryDto): Promise<${n.singularClass}PageDto> {
    const [items, total] = await this.${n.pluralProperty}.list(user.id, page.limit, page.offset);
    return { items: items.map((${n.singularProperty}) => ${dto}.from(${n.singularProperty})), total };
  }

  @Get(':id')
  @RequiresScope('${n.readScope}')
  @ApiOkResponse({ type: ${dto} })
  @ApiResponseCodes(400, 404)
  async get(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<${dto}> {
    return ${dto}.from(await this.${n.pluralProperty}.get(user.id, id));
  }

  @Patch(':id')
  @RequiresScope('${n.writeScope}')
  @ApiOkResponse({ type: ${dto} })
  @ApiResponseCodes(400, 404)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: Update${n.singularClass}Dto,
  ): Promise<${dto}> {
    return ${dto}.from(await this.${n.pluralProperty}.update(user.id, id, body));
  }

  @Delete(':id')
  @RequiresScope('${n.writeScope}')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiResponseCodes(400, 404)
  async remove(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.${n.pluralProperty}.remove(user.id, id);
  }
}
`;
}

function module_(n: FeatureNames): string {
  return `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ${n.singularClass} } from './entities/${n.singular}.entity';
import { ${n.pluralClass}Controller } from './${n.plural}.controller';
import { ${n.pluralClass}Service } from './${n.plural}.service';

@Module({
  imports: [TypeOrmModule.forFeature([${n.singularClass}])],
  controllers: [${n.pluralClass}Controller],
  providers: [${n.pluralClass}Service],
})
export class ${n.pluralClass}Module {}
`;
}

/** The migration's class name, e.g. `CreateBookmarks1764000000009`. */
export function migrationClass(n: FeatureNames, timestamp: number): string {
  return `Create${n.pluralClass}${timestamp}`;
}

/** The migration's file name without `.ts`, e.g. `1764000000009-create-bookmarks`. */
export function migrationFile(n: FeatureNames, timestamp: number): string {
  return `${timestamp}-create-${n.plural}`;
}

function migration(n: FeatureNames, timestamp: number): string {
  const name = migrationClass(n, timestamp);
  return `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name} implements MigrationInterface {
  name = '${name}';

  async up(db: QueryRunner): Promise<void> {
    await db.query(\`
      CREATE TABLE "${n.table}" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "owner_id" uuid NOT NULL,
        "title" character varying(200) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_${n.table}" PRIMARY KEY ("id"),
        CONSTRAINT "FK_${n.table}_owner" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE
      )\`);
    // Serves the owner's listing, newest first, and the count beside it.
    await db.query(
      \`CREATE INDEX "IDX_${n.table}_owner_newest" ON "${n.table}" ("owner_id", "created_at" DESC, "id")\`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(\`DROP TABLE "${n.table}"\`);
  }
}
`;
}

function e2eSpec(n: FeatureNames): string {
  return `import { describeOwnerScopedCrud } from './support/owner-scoped-crud';

// The checks every owner-scoped resource passes; this feature's own checks go in the callback.
describeOwnerScopedCrud(
  '${n.pluralWords}: owner-scoped CRUD at /api/${n.plural}',
  {
    path: '/api/${n.plural}',
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
  (${n.pluralProperty}) => {
    it('accepts a title of exactly 200 characters', async () => {
      const session = await ${n.pluralProperty}.signUp();
      const title = 'x'.repeat(200);
      const response = await ${n.pluralProperty}.create(session, { title });
      expect(response.status).toBe(201);
      expect(response.body.title).toBe(title);
    });

    it('declares ${n.readScope} and ${n.writeScope}, and each route needs one of them', async () => {
      const scopes = await ${n.pluralProperty}.app.http().get('/api/auth/scopes').expect(200);
      expect(scopes.body).toEqual(
        expect.arrayContaining([
          { scope: '${n.readScope}', description: 'Read your ${n.pluralWords}' },
          { scope: '${n.writeScope}', description: 'Create, change and delete your ${n.pluralWords}' },
        ]),
      );
      // @RequiresScope() marks each operation of the OpenAPI document with its scope.
      const { paths } = (await ${n.pluralProperty}.app.http().get('/api/docs-json').expect(200)).body;
      const scopeOf = (path: string, method: string): unknown => paths[path]?.[method]?.['x-gatehouse-scope'];
      expect({
        create: scopeOf('/api/${n.plural}', 'post'),
        list: scopeOf('/api/${n.plural}', 'get'),
        get: scopeOf('/api/${n.plural}/{id}', 'get'),
        update: scopeOf('/api/${n.plural}/{id}', 'patch'),
        remove: scopeOf('/api/${n.plural}/{id}', 'delete'),
      }).toEqual({
        create: '${n.writeScope}',
        list: '${n.readScope}',
        get: '${n.readScope}',
        update: '${n.writeScope}',
        remove: '${n.writeScope}',
      });
    });
  },
);
`;
}

/** Every new file of a feature, at its place in the repository. */
export function featureFiles(n: FeatureNames, migrationTimestamp: number): GeneratedFile[] {
  const dir = `apps/api/src/${n.plural}`;
  return [
    { path: `${dir}/entities/${n.singular}.entity.ts`, text: entity(n) },
    { path: `${dir}/dto/create-${n.singular}.dto.ts`, text: createDto(n) },
    { path: `${dir}/dto/update-${n.singular}.dto.ts`, text: updateDto(n) },
    { path: `${dir}/dto/${n.singular}.dto.ts`, text: responseDto(n) },
    { path: `${dir}/${n.plural}.service.ts`, text: service(n) },
    { path: `${dir}/${n.plural}.controller.ts`, text: controller(n) },
    { path: `${dir}/${n.plural}.module.ts`, text: module_(n) },
    {
      path: `libs/database/src/migrations/${migrationFile(n, migrationTimestamp)}.ts`,
      text: migration(n, migrationTimestamp),
    },
    { path: `test/${n.plural}.e2e-spec.ts`, text: e2eSpec(n) },
  ];
}
