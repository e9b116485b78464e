import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength, NotContains } from 'class-validator';

// PostgreSQL text cannot hold a NUL character: refuse it as bad input rather than fail on it.
const NUL = '\u0000';

export class CreateNoteDto {
  @ApiProperty({ example: 'Groceries', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NotContains(NUL, { message: 'title must not contain NUL characters' })
  title: string;

  @ApiPropertyOptional({ example: 'Milk, eggs', maxLength: 20000 })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  @NotContains(NUL, { message: 'body must not contain NUL characters' })
  body?: string;
}
