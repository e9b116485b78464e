import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength, NotContains } from 'class-validator';
import { ScopeListField } from '../../scope-list';

export class CreateServiceClientDto {
  @ApiProperty({ example: 'nightly billing export', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;

  @ScopeListField('What the client may ask for; a token it gets holds these or fewer')
  scopes: string[];
}
