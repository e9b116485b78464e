import { ApiProperty } from '@nestjs/swagger';
import { Note } from '../entities/note.entity';

export class NoteDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Groceries' })
  title: string;

  @ApiProperty({ example: 'Milk, eggs' })
  body: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;

  static from(note: Note): NoteDto {
    return {
      id: note.id,
      title: note.title,
      body: note.body,
      createdAt: note.createdAt,
      updatedAt: note.updatedAt,
    };
  }
}

export class NotePageDto {
  @ApiProperty({ type: [NoteDto] })
  items: NoteDto[];

  @ApiProperty({ description: 'How many notes the caller has in all', example: 42 })
  total: number;
}
