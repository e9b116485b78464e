import { FeatureNames } from './feature-names';
import { ownerSpecificFiles } from './feature-routes';

/** One file the generator writes: a path from the repository root, and its text (prettier formats it after). */
export interface GeneratedFile {
  path: string;
  text: string;
}

/** Who a feature's rows belong to: the user whose token made them (as notes), or the caller's active organization
 * (as projects, with `--org`). */
export type FeatureOwner = 'user' | 'organization';

/** How the owner shows in the code: the entity's column and relation, the table it references, the words. */
interface Ownership {
  /** `ownerId`: the entity's property and the services' parameter. */
  property: string;
  /** `owner_id`: its column. */
  column: string;
  /** `owner`: the relation, and its part in constraint names (`FK_<table>_owner`, `IDX_<table>_owner_newest`). */
  relation: string;
  /** The owner's entity, where it comes from, and its table. */
  entity: string;
  library: string;
  table: string;
  /** Where the owner's id comes from, said on the column. */
  source: string;
  /** Whose the items are, in comments and descriptions. */
  whose: string;
  another: string;
}

const OWNERSHIP: Record<FeatureOwner, Ownership> = {
  user: {
    property: 'ownerId',
    column: 'owner_id',
    relation: 'owner',
    entity: 'User',
    library: '@gatehouse/users',
    table: 'users',
    source: 'Set from the access token, never from a request body.',
    whose: 'the caller',
    another: "another user's",
  },
  organization: {
    property: 'organizationId',
    column: 'organization_id',
    relation: 'organization',
    entity: 'Organization',
    library: '@gatehouse/orgs',
    table: 'organizations',
    source: "Set from the access token's active organization, never from a request body.",
    whose: 'the organization',
    another: "another organization's",
  },
};

function entity(n: FeatureNames, o: Ownership): string {
  return `import { ${o.entity} } from '${o.library}';
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
@Index('IDX_${n.table}_${o.relation}_newest', ['${o.property}', 'createdAt', 'id'])
export class ${n.singularClass} {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_${n.table}' })
  id: string;

  /** ${o.source} */
  @Column({ name: '${o.column}', type: 'uuid' })
  ${o.property}: string;

  @ManyToOne(() => ${o.entity}, { onDelete: 'CASCADE' })
  @JoinColumn({ name: '${o.column}', foreignKeyConstraintName: 'FK_${n.table}_${o.relation}' })
  ${o.relation}?: ${o.entity};

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

function responseDto(n: FeatureNames, o: Ownership): string {
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

  @ApiProperty({ description: 'How many ${n.pluralWords} ${o.whose} has in all', example: 42 })
  total: number;
}
`;
}

function service(n: FeatureNames, o: Ownership): string {
  const notFound = `throw new NotFoundException('${n.singularWords} not found')`;
  return `import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Create${n.singularClass}Dto } from './dto/create-${n.singular}.dto';
import { Update${n.singularClass}Dto } from './dto/update-${n.singular}.dto';
import { ${n.singularClass} } from './entities/${n.singular}.entity';

/** ${n.pluralClass}, always scoped to their ${o.relation}: ${o.another} ${n.singularWords} is as missing as one that never existed. */
@Injectable()
export class ${n.pluralClass}Service {
  constructor(@InjectRepository(${n.singularClass}) private readonly ${n.pluralProperty}: Repository<${n.singularClass}>) {}

  create(${o.property}: string, input: Create${n.singularClass}Dto): Promise<${n.singularClass}> {
    return this.${n.pluralProperty}.save(this.${n.pluralProperty}.create({ ${o.property}, title: input.title }));
  }

  list(${o.property}: string, limit: number, offset: number): Promise<[${n.singularClass}[], number]> {
    return this.${n.pluralProperty}.findAndCount({
      where: { ${o.property} },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  async get(${o.property}: string, id: string): Promise<${n.singularClass}> {
    const ${n.singularProperty} = await this.${n.pluralProperty}.findOneBy({ id, ${o.property} });
    if (!${n.singularProperty}) ${notFound};
    return ${n.singularProperty};
  }

  /** Writes only the fields sent: a concurrent edit of another field is never undone by a stale copy. */
  async update(${o.property}: string, id: string, changes: Update${n.singularClass}Dto): Promise<${n.singularClass}> {
    const fields: Partial<Pick<${n.singularClass}, 'title'>> = {};
    if (changes.title !== undefined) fields.title = changes.title;
    if (Object.keys(fields).length > 0) {
      const { affected } = await this.${n.pluralProperty}.update({ id, ${o.property} }, fields);
      if (!affected) ${notFound};
    }
    return this.get(${o.property}, id);
  }

  async remove(${o.property}: string, id: string): Promise<void> {
    const { affected } = await this.${n.pluralProperty}.delete({ id, ${o.property} });
    if (!affected) ${notFound};
  }
}
`;
}

/**
 * The feature's module. A user's feature registers its rows with the users' data registry, so that the account's
 * export lists them and its deletion erases them. An organization's feature does not: its rows belong to the
 * organization, not to any member, and go when the organization is deleted (the foreign key cascades).
 */
function module_(n: FeatureNames, owner: FeatureOwner): string {
  const imports = `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ${n.singularClass} } from './entities/${n.singular}.entity';
import { ${n.pluralClass}Controller } from './${n.plural}.controller';
import { ${n.pluralClass}Service } from './${n.plural}.service';
`;
  if (owner === 'organization') {
    return `${imports}
// Its rows belong to the organization, not to a user: no member's export lists them, and no member's deletion
// erases them; they go with the organization (the foreign key cascades).
@Module({
  imports: [TypeOrmModule.forFeature([${n.singularClass}])],
  controllers: [${n.pluralClass}Controller],
  providers: [${n.pluralClass}Service],
})
export class ${n.pluralClass}Module {}
`;
  }
  return `import { ownedRows, registerUserData, UsersModule } from '@gatehouse/users';
${imports}
@Module({
  imports: [TypeOrmModule.forFeature([${n.singularClass}]), UsersModule],
  controllers: [${n.pluralClass}Controller],
  providers: [
    ${n.pluralClass}Service,
    // A user's ${n.pluralWords} are theirs: exported with the account (GET /api/users/me/export) and erased with it.
    // A column added to ${n.singularClass} belongs here too, unless it holds a secret.
    registerUserData(
      ownedRows({
        name: '${n.pluralProperty}',
        table: '${n.table}',
        ownerColumn: 'owner_id',
        columns: { id: 'id', title: 'title', createdAt: 'created_at', updatedAt: 'updated_at' },
      }),
    ),
  ],
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

function migration(n: FeatureNames, o: Ownership, timestamp: number): string {
  const name = migrationClass(n, timestamp);
  return `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name} implements MigrationInterface {
  name = '${name}';

  async up(db: QueryRunner): Promise<void> {
    await db.query(\`
      CREATE TABLE "${n.table}" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "${o.column}" uuid NOT NULL,
        "title" character varying(200) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_${n.table}" PRIMARY KEY ("id"),
        CONSTRAINT "FK_${n.table}_${o.relation}" FOREIGN KEY ("${o.column}") REFERENCES "${o.table}"("id") ON DELETE CASCADE
      )\`);
    // Serves the ${o.relation}'s listing, newest first, and the count beside it.
    await db.query(
      \`CREATE INDEX "IDX_${n.table}_${o.relation}_newest" ON "${n.table}" ("${o.column}", "created_at" DESC, "id")\`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(\`DROP TABLE "${n.table}"\`);
  }
}
`;
}

/** Every new file of a feature whose rows belong to `owner`, at its place in the repository. */
export function featureFiles(
  n: FeatureNames,
  migrationTimestamp: number,
  owner: FeatureOwner = 'user',
): GeneratedFile[] {
  const dir = `apps/api/src/${n.plural}`;
  const o = OWNERSHIP[owner];
  const { controller, e2eSpec } = ownerSpecificFiles(n, owner);
  return [
    { path: `${dir}/entities/${n.singular}.entity.ts`, text: entity(n, o) },
    { path: `${dir}/dto/create-${n.singular}.dto.ts`, text: createDto(n) },
    { path: `${dir}/dto/update-${n.singular}.dto.ts`, text: updateDto(n) },
    { path: `${dir}/dto/${n.singular}.dto.ts`, text: responseDto(n, o) },
    { path: `${dir}/${n.plural}.service.ts`, text: service(n, o) },
    { path: `${dir}/${n.plural}.controller.ts`, text: controller },
    { path: `${dir}/${n.plural}.module.ts`, text: module_(n, owner) },
    {
      path: `libs/database/src/migrations/${migrationFile(n, migrationTimestamp)}.ts`,
      text: migration(n, o, migrationTimestamp),
    },
    { path: `test/${n.plural}.e2e-spec.ts`, text: e2eSpec },
  ];
}
