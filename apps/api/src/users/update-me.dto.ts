import { Nullable } from '@gatehouse/auth';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class UpdateMeDto {
  /** `null` (like an empty name) clears it: the user object shows `displayName: null` then. */
  @ApiProperty({ type: String, example: 'Ada Lovelace', maxLength: 100 })
  @Nullable()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'displayName must not contain control characters' })
  displayName: string | null;
}
