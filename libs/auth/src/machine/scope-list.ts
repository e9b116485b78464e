import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsString,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { isDeclaredScope } from './scopes';

const MAX_SCOPES = 50;

/** Each element is a declared scope; asked when validating, after every feature has declared its own. */
function EachDeclaredScope(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'eachDeclaredScope',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must hold only scopes listed by GET /api/auth/scopes', ...options },
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) && value.every((scope) => typeof scope === 'string' && isDeclaredScope(scope)),
      },
    });
}

/** A credential's scopes in a request body: one to fifty distinct scopes, each declared by a route. */
export const ScopeListField = (description: string) =>
  applyDecorators(
    ApiProperty({ type: [String], description, example: ['notes:read'], maxItems: MAX_SCOPES }),
    IsArray(),
    ArrayNotEmpty(),
    ArrayMaxSize(MAX_SCOPES),
    IsString({ each: true }),
    ArrayUnique(),
    EachDeclaredScope(),
  );
