import { applyDecorators, ValidationPipe } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  getMetadataStorage,
  ValidateIf,
  ValidationError,
  ValidationTypes,
  ValidatorOptions,
} from 'class-validator';

// Nullable() is recognised by this very function among a property's conditions, which PartialType, PickType
// and the like copy along with the rest of class-validator's metadata.
const unlessNull = (_object: object, value: unknown): boolean => value !== null;

/**
 * Lets a property be `null` (and documents it so): its other validators are skipped for `null`. Without it the
 * input pipe refuses `null` for every property, `@IsOptional()` ones included.
 */
export const Nullable = (): PropertyDecorator =>
  applyDecorators(ValidateIf(unlessNull), ApiProperty({ nullable: true }));

function allowsNull(target: object, property: string): boolean {
  return getMetadataStorage()
    .getTargetValidationMetadatas(target.constructor, '', false, false)
    .some(
      (rule) =>
        rule.propertyName === property &&
        rule.type === ValidationTypes.CONDITIONAL_VALIDATION &&
        rule.constraints[0] === unlessNull,
    );
}

/** An instance of a DTO class or an array: where nested properties are validated. Plain objects are free-form. */
function holdsProperties(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || (prototype !== Object.prototype && prototype !== null);
}

function nullError(property: string): ValidationError {
  const error = new ValidationError();
  error.property = property;
  error.value = null;
  error.constraints = { isNotNull: `${property} must not be null` };
  error.children = [];
  return error;
}

/**
 * class-validator's errors for `target`, with each `null` that is not allowed reported as such, in place of
 * whatever else was said about that property (`@IsOptional()` says nothing: it lets `null` through).
 */
function withNullsRefused(target: object, errors: ValidationError[]): ValidationError[] {
  const byProperty = new Map(errors.map((error) => [error.property, error]));
  for (const [property, value] of Object.entries(target)) {
    const known = byProperty.get(property);
    // A property the DTO does not declare is already refused as such.
    if (known?.constraints?.whitelistValidation) continue;
    // Array items are not properties: their own validators (`each: true`) judge them.
    if (value === null && !Array.isArray(target)) {
      if (!allowsNull(target, property)) byProperty.set(property, nullError(property));
    } else if (holdsProperties(value)) {
      const children = withNullsRefused(value, known?.children ?? []);
      if (children.some((child) => !known?.children?.includes(child)))
        byProperty.set(property, Object.assign(new ValidationError(), known, { property, children }));
    }
  }
  return [...byProperty.values()];
}

/**
 * The one validation pipe for every body, query and guard-checked input: whitelisted properties only, unknown
 * ones refused, values transformed to their DTO, and `null` refused unless the property is `@Nullable()`.
 */
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  protected override async validate(
    object: object,
    validatorOptions?: ValidatorOptions,
  ): Promise<ValidationError[]> {
    return withNullsRefused(object, await super.validate(object, validatorOptions));
  }
}
