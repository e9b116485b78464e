/**
 * The active organization's projects: the newest, for every role that may read them (`projects:read`), and a form
 * to add one for those that may write (`projects:write`).
 */
import { ActiveOrganization, ProjectDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';

const ui = {
  section: element('org-projects'),
  count: element('projects-count'),
  projects: element('projects'),
  projectForm: element<HTMLFormElement>('project-form'),
};

/** The organization the form adds to: the active one the section was last drawn for. */
let drawnFor: ActiveOrganization | null = null;

function renderProjects(items: ProjectDto[], total: number): void {
  ui.count.textContent =
    total === 0
      ? 'No projects yet.'
      : `${total} project${total === 1 ? '' : 's'}${total > items.length ? `, the ${items.length} newest shown` : ''}.`;
  ui.projects.replaceChildren(
    ...items.map((project) => {
      const item = make('li');
      item.id = `project-${project.id}`;
      item.append(make('strong', project.name));
      return item;
    }),
  );
}

export async function loadProjects(active: ActiveOrganization): Promise<void> {
  drawnFor = active;
  ui.section.hidden = !active.permissions.includes('projects:read');
  ui.projectForm.hidden = !active.permissions.includes('projects:write');
  if (ui.section.hidden) {
    ui.projects.replaceChildren();
    return;
  }
  const page = await client.projects(active.id, 20, 0);
  renderProjects(page.items, page.total);
}

export function clearProjects(): void {
  drawnFor = null;
  ui.section.hidden = true;
  ui.projects.replaceChildren();
  ui.count.textContent = '';
}

export function wireProjects(): void {
  ui.projectForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const active = drawnFor;
    if (active === null) return;
    const name = fieldsOf(ui.projectForm).name.trim();
    void act(submitButton(ui.projectForm), async () => {
      await client.createProject(active.id, name);
      ui.projectForm.reset();
      await loadProjects(active);
    });
  });
}
