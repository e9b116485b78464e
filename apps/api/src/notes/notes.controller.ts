import { ApiResponseCodes, AuthUser, CurrentUser, defineScopes, RequiresScope } from '@gatehouse/auth';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateNoteDto } from './dto/create-note.dto';
import { NoteDto, NotePageDto } from './dto/note.dto';
import { PageQueryDto } from '../common/page-query.dto';
import { UpdateNoteDto } from './dto/update-note.dto';
import { NotesService } from './notes.service';

// What an API key may be given for this feature: reading, and writing.
defineScopes({
  'notes:read': 'Read your notes',
  'notes:write': 'Create, change and delete your notes',
});

/**
 * The sample feature to copy: owner-scoped CRUD with no auth code beyond @CurrentUser(). The global guard makes
 * every route here require a valid access token; @RequiresScope() opens a route to API keys holding that scope.
 */
@ApiTags('notes')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Post()
  @RequiresScope('notes:write')
  @ApiCreatedResponse({ type: NoteDto })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Create a note' })
  async create(@CurrentUser() user: AuthUser, @Body() body: CreateNoteDto): Promise<NoteDto> {
    return NoteDto.from(await this.notes.create(user.id, body));
  }

  @Get()
  @RequiresScope('notes:read')
  @ApiOkResponse({ type: NotePageDto, description: 'The caller’s notes, newest first' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: "List the user's notes" })
  async list(@CurrentUser() user: AuthUser, @Query() page: PageQueryDto): Promise<NotePageDto> {
    const [items, total] = await this.notes.list(user.id, page.limit, page.offset);
    return { items: items.map((note) => NoteDto.from(note)), total };
  }

  @Get(':id')
  @RequiresScope('notes:read')
  @ApiOkResponse({ type: NoteDto })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Read a note' })
  async get(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<NoteDto> {
    return NoteDto.from(await this.notes.get(user.id, id));
  }

  @Patch(':id')
  @RequiresScope('notes:write')
  @ApiOkResponse({ type: NoteDto })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Update a note' })
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateNoteDto,
  ): Promise<NoteDto> {
    return NoteDto.from(await this.notes.update(user.id, id, body));
  }

  @Delete(':id')
  @RequiresScope('notes:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Delete a note' })
  async remove(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.notes.remove(user.id, id);
  }
}
