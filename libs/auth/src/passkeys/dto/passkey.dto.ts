import { RefreshTokenInBodyField } from '../../dpop/native-client';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Nullable } from '../../validation/input-validation';
import { Passkey } from '../entities/passkey.entity';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const base64url = 'must be base64url';

/** A base64url field of a credential, as `PublicKeyCredential.toJSON()` writes it. */
function Base64UrlField(maxLength: number, description: string): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ description, format: 'base64url' })(target, key);
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(maxLength)(target, key);
    Matches(BASE64URL, { message: `${String(key)} ${base64url}` })(target, key);
  };
}

/** What every credential JSON carries besides its `response`. */
abstract class CredentialJsonDto {
  @Base64UrlField(1366, 'The credential id')
  id: string;

  @Base64UrlField(1366, 'The credential id again (the raw id, encoded)')
  rawId: string;

  @ApiProperty({ enum: ['public-key'] })
  @Equals('public-key')
  type: 'public-key';

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'], nullable: true })
  @Nullable()
  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform' | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Extension outputs, as the browser gave them',
  })
  @IsObject()
  clientExtensionResults: Record<string, unknown>;
}

export class AttestationResponseJsonDto {
  @Base64UrlField(16_384, 'The client data the authenticator signed over')
  clientDataJSON: string;

  @Base64UrlField(65_536, 'The attestation object (CBOR)')
  attestationObject: string;

  @ApiPropertyOptional({ format: 'base64url' })
  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  @Matches(BASE64URL, { message: `authenticatorData ${base64url}` })
  authenticatorData?: string;

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  transports?: string[];

  @ApiPropertyOptional({ description: 'The COSE algorithm of the new key', example: -7 })
  @IsOptional()
  @IsInt()
  publicKeyAlgorithm?: number;

  @ApiPropertyOptional({ format: 'base64url', description: 'The new public key (SPKI)' })
  @IsOptional()
  @IsString()
  @MaxLength(16_384)
  @Matches(BASE64URL, { message: `publicKey ${base64url}` })
  publicKey?: string;
}

/** `PublicKeyCredential.toJSON()` of a credential `navigator.credentials.create()` made. */
export class RegistrationCredentialDto extends CredentialJsonDto {
  @ApiProperty({ type: AttestationResponseJsonDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AttestationResponseJsonDto)
  response: AttestationResponseJsonDto;
}

export class AssertionResponseJsonDto {
  @Base64UrlField(16_384, 'The client data the authenticator signed over')
  clientDataJSON: string;

  @Base64UrlField(16_384, 'The authenticator data')
  authenticatorData: string;

  @Base64UrlField(16_384, 'The assertion signature')
  signature: string;

  @ApiPropertyOptional({ type: String, format: 'base64url', nullable: true, description: 'The user handle' })
  @Nullable()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(BASE64URL, { message: `userHandle ${base64url}` })
  userHandle?: string | null;
}

/** `PublicKeyCredential.toJSON()` of an assertion `navigator.credentials.get()` made. */
export class AuthenticationCredentialDto extends CredentialJsonDto {
  @ApiProperty({ type: AssertionResponseJsonDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionResponseJsonDto)
  response: AssertionResponseJsonDto;
}

const NameField = () =>
  ApiProperty({ description: 'What the list shows, e.g. the device', example: 'Work laptop', maxLength: 64 });

export class RegisterPasskeyDto {
  @ApiProperty({ type: RegistrationCredentialDto })
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationCredentialDto)
  credential: RegistrationCredentialDto;

  @ApiPropertyOptional({
    description: 'What the list shows (default "Passkey")',
    example: 'Work laptop',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;
}

export class RenamePasskeyDto {
  @NameField()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}

export class PasskeyLoginDto {
  @ApiProperty({ type: AuthenticationCredentialDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationCredentialDto)
  credential: AuthenticationCredentialDto;

  @RefreshTokenInBodyField()
  refreshTokenInBody?: boolean;
}

export class PasskeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @NameField()
  name: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last sign-in with it' })
  lastUsedAt: string | null;

  static from(passkey: Passkey): PasskeyDto {
    return {
      id: passkey.id,
      name: passkey.name,
      createdAt: passkey.createdAt.toISOString(),
      lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    };
  }
}

class RelyingPartyDto {
  @ApiProperty({ example: 'example.com' })
  id: string;

  @ApiProperty({ example: 'Gatehouse' })
  name: string;
}

class WebAuthnUserDto {
  @ApiProperty({ format: 'base64url', description: 'A random handle, never the account id or email' })
  id: string;

  @ApiProperty({ description: 'The email, shown by the authenticator' })
  name: string;

  @ApiProperty()
  displayName: string;
}

class CredentialParameterDto {
  @ApiProperty({ enum: ['public-key'] })
  type: string;

  @ApiProperty({ description: 'A COSE algorithm', example: -7 })
  alg: number;
}

class CredentialDescriptorDto {
  @ApiProperty({ format: 'base64url' })
  id: string;

  @ApiProperty({ enum: ['public-key'] })
  type: string;

  @ApiPropertyOptional({ type: [String] })
  transports?: string[];
}

class AuthenticatorSelectionDto {
  @ApiProperty({ enum: ['required'] })
  residentKey: string;

  @ApiProperty()
  requireResidentKey: boolean;

  @ApiProperty({ enum: ['required'] })
  userVerification: string;
}

/** `PublicKeyCredentialCreationOptionsJSON`, for `PublicKeyCredential.parseCreationOptionsFromJSON`. */
export class PasskeyCreationOptionsDto {
  @ApiProperty({ format: 'base64url' })
  challenge: string;

  @ApiProperty({ type: RelyingPartyDto })
  rp: RelyingPartyDto;

  @ApiProperty({ type: WebAuthnUserDto })
  user: WebAuthnUserDto;

  @ApiProperty({ type: [CredentialParameterDto] })
  pubKeyCredParams: CredentialParameterDto[];

  @ApiProperty({ description: 'Milliseconds' })
  timeout: number;

  @ApiProperty({ type: [CredentialDescriptorDto], description: "The user's passkeys, not to be made again" })
  excludeCredentials: CredentialDescriptorDto[];

  @ApiProperty({ type: AuthenticatorSelectionDto })
  authenticatorSelection: AuthenticatorSelectionDto;

  @ApiProperty({ enum: ['none'] })
  attestation: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  extensions?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String] })
  hints?: string[];
}

/** `PublicKeyCredentialRequestOptionsJSON`, for `PublicKeyCredential.parseRequestOptionsFromJSON`. */
export class PasskeyRequestOptionsDto {
  @ApiProperty({ format: 'base64url' })
  challenge: string;

  @ApiProperty({ example: 'example.com' })
  rpId: string;

  @ApiProperty({ description: 'Milliseconds' })
  timeout: number;

  @ApiProperty({ enum: ['required'] })
  userVerification: string;

  @ApiPropertyOptional({
    type: [CredentialDescriptorDto],
    description: 'Empty: the browser offers the passkeys it holds for the site',
  })
  allowCredentials?: CredentialDescriptorDto[];

  @ApiPropertyOptional({ type: [String] })
  hints?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  extensions?: Record<string, unknown>;
}
