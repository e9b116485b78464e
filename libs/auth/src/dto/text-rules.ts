import { EMAIL_MAX_LENGTH, normalizeEmail } from '@gatehouse/users';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Longest password text accepted on the wire; the policy's own maximum (128 characters) applies on top. */
export const PASSWORD_INPUT_MAX = 1024;

/** An email address, normalised (trimmed, NFKC, lower-cased) before it is validated. */
export const EmailField = () =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', maxLength: EMAIL_MAX_LENGTH }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    IsEmail({}, { message: '$property must be an email address' }),
  );

/** A password as typed: never trimmed or changed here; the password policy judges it. */
export const PasswordField = (description: string) =>
  applyDecorators(
    ApiProperty({ description, example: 'correct horse battery staple', format: 'password' }),
    IsString(),
    IsNotEmpty(),
    MaxLength(PASSWORD_INPUT_MAX),
  );
