import { ownedRows, registerUserData, UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Note } from './entities/note.entity';
import { NotesController } from './notes.controller';
import { NotesService } from './notes.service';

@Module({
  imports: [TypeOrmModule.forFeature([Note]), UsersModule],
  controllers: [NotesController],
  providers: [
    NotesService,
    // A user's notes are theirs: exported with the account (GET /api/users/me/export), erased with it.
    registerUserData(
      ownedRows({
        name: 'notes',
        table: 'notes',
        ownerColumn: 'owner_id',
        columns: { id: 'id', title: 'title', body: 'body', createdAt: 'created_at', updatedAt: 'updated_at' },
      }),
    ),
  ],
})
export class NotesModule {}
