import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateProjectDto, UpdateProjectDto } from './dto/project.dto';
import { Project } from './entities/project.entity';

/** Projects, always scoped to their organization: another's project is as missing as one that never existed. */
@Injectable()
export class ProjectsService {
  constructor(@InjectRepository(Project) private readonly projects: Repository<Project>) {}

  create(organizationId: string, input: CreateProjectDto): Promise<Project> {
    return this.projects.save(this.projects.create({ organizationId, name: input.name }));
  }

  list(organizationId: string, limit: number, offset: number): Promise<[Project[], number]> {
    return this.projects.findAndCount({
      where: { organizationId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  async get(organizationId: string, id: string): Promise<Project> {
    const project = await this.projects.findOneBy({ id, organizationId });
    if (!project) throw new NotFoundException('project not found');
    return project;
  }

  /** Writes only the fields sent: a concurrent edit of another field is never undone by a stale copy. */
  async update(organizationId: string, id: string, changes: UpdateProjectDto): Promise<Project> {
    if (changes.name !== undefined) {
      const { affected } = await this.projects.update({ id, organizationId }, { name: changes.name });
      if (!affected) throw new NotFoundException('project not found');
    }
    return this.get(organizationId, id);
  }

  async remove(organizationId: string, id: string): Promise<void> {
    const { affected } = await this.projects.delete({ id, organizationId });
    if (!affected) throw new NotFoundException('project not found');
  }
}
