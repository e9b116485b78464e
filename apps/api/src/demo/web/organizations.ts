/**
 * The Organizations panel: the user's organizations with their role, a switcher for the one the access token acts
 * in, and a form to create one. The active organization's members, invitations and projects have modules of their
 * own; what each offers follows the permissions the token carries, which are what the server checks.
 */
import { ActiveOrganization, OrgDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';
import { clearInvitations, loadInvitations, wireInvitations } from './org-invitations';
import { clearMembers, loadMembers, wireMembers } from './org-members';
import { clearProjects, loadProjects, wireProjects } from './org-projects';

const ui = {
  active: element('org-active'),
  orgs: element<HTMLTableElement>('orgs'),
  orgsBody: element<HTMLTableElement>('orgs').tBodies[0],
  orgsEmpty: element('orgs-empty'),
  reloadButton: element<HTMLButtonElement>('org-reload-button'),
  noneButton: element<HTMLButtonElement>('org-none-button'),
  createForm: element<HTMLFormElement>('org-create-form'),
  outcome: element('orgs-outcome'),
  activeSection: element('active-org'),
};

/** The user's organizations, as last loaded. */
let organizations: OrgDto[] = [];
/** The active organization the panels below were drawn for: a new token that changes it redraws them. */
let drawnFor: string | null = null;

const keyOf = (active: ActiveOrganization | null): string =>
  active === null ? '' : `${active.id} ${active.role} ${active.permissions.join(',')}`;

function renderOrganizations(): void {
  const active = client.activeOrganization();
  const activeOrg = organizations.find((org) => org.id === active?.id);
  ui.active.textContent =
    active === null
      ? 'No organization is active: switch to one to see its members and projects.'
      : `Acting in “${activeOrg?.name ?? active.id}” as ${active.role}.`;
  ui.active.dataset.orgId = active?.id ?? '';
  ui.orgs.hidden = organizations.length === 0;
  ui.orgsEmpty.hidden = organizations.length > 0;
  ui.noneButton.hidden = active === null;
  ui.orgsBody.replaceChildren(...organizations.map((org) => orgRow(org, org.id === active?.id)));
}

function orgRow(org: OrgDto, isActive: boolean): HTMLTableRowElement {
  const row = make('tr', undefined, isActive ? 'current' : undefined);
  row.id = `org-${org.id}`;
  const name = make('td');
  name.append(make('span', org.name));
  if (isActive) name.append(make('span', 'active', 'badge'));
  const action = make('td');
  if (!isActive) {
    const switchTo = make('button', 'Switch to it');
    switchTo.type = 'button';
    switchTo.id = `org-switch-${org.id}`;
    switchTo.setAttribute('aria-label', `Switch to ${org.name}`);
    switchTo.addEventListener('click', () => void act(switchTo, () => switchOrganization(org)));
    action.append(switchTo);
  }
  row.append(name, make('td', org.role), action);
  return row;
}

async function switchOrganization(org: OrgDto | null): Promise<void> {
  ui.outcome.textContent = '';
  await client.switchOrganization(org?.id ?? null);
  // The new token's `refresh` event redraws the panels (here and in the other tabs): see organizationChanged().
  ui.outcome.textContent = org === null ? 'You act in no organization now.' : `You act in “${org.name}” now.`;
}

/** Whether the access token acts in another organization (or with another role) than the panels were drawn for. */
export function organizationChanged(): boolean {
  return drawnFor !== null && keyOf(client.activeOrganization()) !== drawnFor;
}

/** The list, then the active organization's members, invitations and projects. */
export async function loadOrganizations(): Promise<void> {
  const active = client.activeOrganization();
  drawnFor = keyOf(active);
  organizations = await client.organizations();
  renderOrganizations();
  ui.activeSection.hidden = active === null;
  if (active === null) {
    clearActive();
    return;
  }
  await Promise.all([loadMembers(active), loadInvitations(active), loadProjects(active)]);
}

function clearActive(): void {
  clearMembers();
  clearInvitations();
  clearProjects();
}

export function clearOrganizations(): void {
  organizations = [];
  drawnFor = null;
  ui.orgsBody.replaceChildren();
  ui.active.textContent = '';
  ui.outcome.textContent = '';
  ui.activeSection.hidden = true;
  clearActive();
}

export function wireOrganizations(): void {
  ui.createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = fieldsOf(ui.createForm).name.trim();
    void act(submitButton(ui.createForm), async () => {
      ui.outcome.textContent = '';
      const made = await client.createOrganization(name);
      ui.createForm.reset();
      ui.outcome.textContent = `“${made.name}” is yours: switch to it to invite people and add projects.`;
      await loadOrganizations();
    });
  });
  ui.reloadButton.addEventListener('click', () => void act(ui.reloadButton, loadOrganizations));
  ui.noneButton.addEventListener('click', () => void act(ui.noneButton, () => switchOrganization(null)));
  // Leaving the active organization ends what the token may do there: act in none (its event redraws the panel).
  wireMembers(async () => {
    await client.switchOrganization(null);
    ui.outcome.textContent = 'You left the organization.';
  });
  wireInvitations();
  wireProjects();
}
