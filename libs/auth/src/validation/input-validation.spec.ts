import { BadRequestException, Body, Controller, Patch, Post } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ApiProperty,
  ApiPropertyOptional,
  DocumentBuilder,
  PartialType,
  SwaggerModule,
} from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { InputValidationPipe, Nullable } from './input-validation';

class ItemDto {
  @IsString()
  name: string;

  @IsOptional()
  @IsString()
  label?: string;

  @Nullable()
  @IsString()
  note: string | null;
}

/** A DTO as a later feature would write it, with nothing said about null. */
class CreateThingDto {
  @ApiProperty()
  @IsString()
  @MaxLength(10)
  title: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  rank?: number;

  @ApiPropertyOptional()
  @Nullable()
  @IsOptional()
  @IsString()
  @MaxLength(10)
  comment?: string | null;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];

  @IsOptional()
  @IsString({ each: true })
  tags?: string[];
}

class UpdateThingDto extends PartialType(CreateThingDto) {}

@Controller('things')
class ThingsController {
  @Post()
  create(@Body() body: CreateThingDto): CreateThingDto {
    return body;
  }

  @Patch()
  update(@Body() body: UpdateThingDto): UpdateThingDto {
    return body;
  }
}

const pipe = new InputValidationPipe();

/** The messages of the 400 the pipe throws for `body`, or undefined when it accepts it. */
async function refusal(metatype: new () => object, body: unknown): Promise<string[] | undefined> {
  try {
    await pipe.transform(body, { type: 'body', metatype });
    return undefined;
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return (error.getResponse() as { message: string[] }).message;
  }
}

describe('InputValidationPipe', () => {
  it('refuses null for an @IsOptional() property, which class-validator alone lets through', async () => {
    expect(await refusal(CreateThingDto, { title: 'a', rank: null })).toEqual(['rank must not be null']);
  });

  it('refuses null for a required property with that one message', async () => {
    expect(await refusal(CreateThingDto, { title: null })).toEqual(['title must not be null']);
  });

  it('refuses null in a PartialType of a DTO, for every property that was not nullable', async () => {
    expect(await refusal(UpdateThingDto, { title: null, rank: null })).toEqual([
      'title must not be null',
      'rank must not be null',
    ]);
    expect(await refusal(UpdateThingDto, {})).toBeUndefined();
  });

  it('accepts null for a @Nullable() property, there and in its PartialType, skipping its other rules', async () => {
    expect(await refusal(CreateThingDto, { title: 'a', comment: null })).toBeUndefined();
    expect(await refusal(UpdateThingDto, { comment: null })).toBeUndefined();
    expect(await refusal(UpdateThingDto, { comment: 'x'.repeat(11) })).toEqual([
      'comment must be shorter than or equal to 10 characters',
    ]);
  });

  it('refuses null in nested DTOs, naming the path, and honours @Nullable() there', async () => {
    const body = {
      title: 'a',
      items: [
        { name: 'ok', note: null },
        { name: null, label: null, note: null },
      ],
    };
    expect(await refusal(CreateThingDto, body)).toEqual([
      'items.1.name must not be null',
      'items.1.label must not be null',
    ]);
  });

  it('leaves array items to their own rules', async () => {
    expect(await refusal(CreateThingDto, { title: 'a', tags: ['x', null] })).toEqual([
      'each value in tags must be a string',
    ]);
  });

  it('still refuses an unknown property as such, null or not', async () => {
    expect(await refusal(CreateThingDto, { title: 'a', ownerId: null })).toEqual([
      'property ownerId should not exist',
    ]);
  });

  it('keeps the other rules for values that are not null', async () => {
    expect(await refusal(CreateThingDto, { title: 'x'.repeat(11), rank: 'high' })).toEqual([
      'title must be shorter than or equal to 10 characters',
      'rank must be an integer number',
    ]);
    expect(await refusal(CreateThingDto, { title: 'a', rank: 2, comment: 'fine' })).toBeUndefined();
  });

  it('documents @Nullable() properties as nullable in the OpenAPI document, and only those', async () => {
    const testing = await Test.createTestingModule({ controllers: [ThingsController] }).compile();
    const app = testing.createNestApplication(new FastifyAdapter(), { logger: false });
    try {
      const { components } = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      type Schema = { properties: Record<string, { nullable?: boolean }> };
      const schemas = components?.schemas as Record<string, Schema>;
      for (const name of ['CreateThingDto', 'UpdateThingDto']) {
        expect(schemas[name].properties.comment.nullable).toBe(true);
        expect(schemas[name].properties.title.nullable).toBeUndefined();
        expect(schemas[name].properties.rank.nullable).toBeUndefined();
      }
    } finally {
      await app.close();
    }
  });
});
