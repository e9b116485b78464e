import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateNoteDto } from './dto/create-note.dto';
import { UpdateNoteDto } from './dto/update-note.dto';
import { Note } from './entities/note.entity';

/** Notes, always scoped to their owner: another user's note is as missing as one that never existed. */
@Injectable()
export class NotesService {
  constructor(@InjectRepository(Note) private readonly notes: Repository<Note>) {}

  create(ownerId: string, input: CreateNoteDto): Promise<Note> {
    return this.notes.save(this.notes.create({ ownerId, title: input.title, body: input.body ?? '' }));
  }

  list(ownerId: string, limit: number, offset: number): Promise<[Note[], number]> {
    return this.notes.findAndCount({
      where: { ownerId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  async get(ownerId: string, id: string): Promise<Note> {
    const note = await this.notes.findOneBy({ id, ownerId });
    if (!note) throw new NotFoundException('note not found');
    return note;
  }

  /** Writes only the fields sent: a concurrent edit of another field is never undone by a stale copy. */
  async update(ownerId: string, id: string, changes: UpdateNoteDto): Promise<Note> {
    const fields: Partial<Pick<Note, 'title' | 'body'>> = {};
    if (changes.title !== undefined) fields.title = changes.title;
    if (changes.body !== undefined) fields.body = changes.body;
    if (Object.keys(fields).length > 0) {
      const { affected } = await this.notes.update({ id, ownerId }, fields);
      if (!affected) throw new NotFoundException('note not found');
    }
    return this.get(ownerId, id);
  }

  async remove(ownerId: string, id: string): Promise<void> {
    const { affected } = await this.notes.delete({ id, ownerId });
    if (!affected) throw new NotFoundException('note not found');
  }
}
