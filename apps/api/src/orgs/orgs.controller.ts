import { ApiResponseCodes, AuthUser, CurrentUser } from '@gatehouse/auth';
import { MemberView, Organizations } from '@gatehouse/orgs';
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
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { OrgDto, OrgNameDto } from './dto/org.dto';

const dtoOf = (view: MemberView): OrgDto => ({ ...view });

/**
 * The caller's organizations. Anyone signed in makes one and owns it; members read it, an owner or admin renames
 * it, only an owner deletes it; to anyone else it does not exist (404). Managing organizations is not for API keys
 * or service clients: no scope opens these routes.
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiResponseCodes(401)
@Controller('orgs')
export class OrgsController {
  constructor(private readonly orgs: Organizations) {}

  @Post()
  @ApiCreatedResponse({ type: OrgDto, description: 'The new organization; the caller is its owner' })
  @ApiResponseCodes(400, 403)
  @ApiOperation({ summary: 'Create an organization' })
  async create(@CurrentUser() caller: AuthUser, @Body() body: OrgNameDto): Promise<OrgDto> {
    return dtoOf(await this.orgs.create(caller.id, body.name));
  }

  @Get()
  @ApiOkResponse({
    type: [OrgDto],
    description: "The caller's organizations, with the caller's role in each",
  })
  @ApiResponseCodes(403)
  @ApiOperation({ summary: "List the caller's organizations" })
  async list(@CurrentUser() caller: AuthUser): Promise<OrgDto[]> {
    return (await this.orgs.list(caller.id)).map(dtoOf);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrgDto })
  @ApiResponseCodes(400, 403, 404)
  @ApiOperation({ summary: 'Read an organization the caller is a member of' })
  async get(@CurrentUser() caller: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<OrgDto> {
    return dtoOf(await this.orgs.get(caller.id, id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: OrgDto })
  @ApiResponseCodes(400, 403, 404)
  @ApiOperation({ summary: 'Rename an organization (owner or admin)' })
  async rename(
    @CurrentUser() caller: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: OrgNameDto,
  ): Promise<OrgDto> {
    return dtoOf(await this.orgs.rename(caller.id, id, body.name));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted, with every membership in it' })
  @ApiResponseCodes(400, 403, 404)
  @ApiOperation({ summary: 'Delete an organization (owner only)' })
  async remove(@CurrentUser() caller: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.orgs.delete(caller.id, id);
  }
}
