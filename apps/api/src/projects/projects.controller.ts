import { ApiResponseCodes, defineScopes, RequirePermission, RequiresScope } from '@gatehouse/auth';
import { grantPermissions } from '@gatehouse/orgs';
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
import { PageQueryDto } from '../common/page-query.dto';
import { CreateProjectDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './dto/project.dto';
import { ProjectsService } from './projects.service';

// What each role of an organization may do with its projects: every member reads, owners and admins write.
grantPermissions({
  'projects:read': ['owner', 'admin', 'member'],
  'projects:write': ['owner', 'admin'],
});

// What an API key made in an organization may be given for this feature; it still needs its user's permission.
defineScopes({
  'projects:read': "Read your organization's projects",
  'projects:write': "Create, rename and delete your organization's projects",
});

/**
 * The sample of an organization-owned feature: the organization is the route's `:id`, which must be the caller's
 * active one, and @RequirePermission checks the role's permission in the access token; no auth code here, and no
 * database read before the feature's own. An API key made in the organization reaches a route when it holds the
 * route's scope (@RequiresScope) and its user's role the permission.
 */
@ApiTags('projects')
@ApiBearerAuth()
@ApiResponseCodes(401, 403)
@Controller('orgs/:id/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @RequirePermission('projects:write')
  @RequiresScope('projects:write')
  @ApiCreatedResponse({ type: ProjectDto })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: 'Create a project in the active organization' })
  async create(@Param('id') orgId: string, @Body() body: CreateProjectDto): Promise<ProjectDto> {
    return ProjectDto.from(await this.projects.create(orgId, body));
  }

  @Get()
  @RequirePermission('projects:read')
  @RequiresScope('projects:read')
  @ApiOkResponse({ type: ProjectPageDto, description: 'The organization’s projects, newest first' })
  @ApiResponseCodes(400)
  @ApiOperation({ summary: "List the active organization's projects" })
  async list(@Param('id') orgId: string, @Query() page: PageQueryDto): Promise<ProjectPageDto> {
    const [items, total] = await this.projects.list(orgId, page.limit, page.offset);
    return { items: items.map((project) => ProjectDto.from(project)), total };
  }

  @Get(':projectId')
  @RequirePermission('projects:read')
  @RequiresScope('projects:read')
  @ApiOkResponse({ type: ProjectDto })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Read a project' })
  async get(
    @Param('id') orgId: string,
    @Param('projectId', new ParseUUIDPipe()) id: string,
  ): Promise<ProjectDto> {
    return ProjectDto.from(await this.projects.get(orgId, id));
  }

  @Patch(':projectId')
  @RequirePermission('projects:write')
  @RequiresScope('projects:write')
  @ApiOkResponse({ type: ProjectDto })
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Rename a project' })
  async update(
    @Param('id') orgId: string,
    @Param('projectId', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateProjectDto,
  ): Promise<ProjectDto> {
    return ProjectDto.from(await this.projects.update(orgId, id, body));
  }

  @Delete(':projectId')
  @RequirePermission('projects:write')
  @RequiresScope('projects:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiResponseCodes(400, 404)
  @ApiOperation({ summary: 'Delete a project' })
  async remove(
    @Param('id') orgId: string,
    @Param('projectId', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.projects.remove(orgId, id);
  }
}
