import { ApiProperty, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength, NotContains } from 'class-validator';
import { Project } from '../entities/project.entity';

export class CreateProjectDto {
  @ApiProperty({ example: 'Website relaunch', maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;
}

export class UpdateProjectDto extends PartialType(CreateProjectDto) {}

export class ProjectDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Website relaunch' })
  name: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;

  static from(project: Project): ProjectDto {
    return { id: project.id, name: project.name, createdAt: project.createdAt, updatedAt: project.updatedAt };
  }
}

export class ProjectPageDto {
  @ApiProperty({ type: [ProjectDto] })
  items: ProjectDto[];

  @ApiProperty({ description: 'How many projects the organization has in all', example: 12 })
  total: number;
}
