/**
 * The active organization's members: each with their role, a role select for those whose role the user may
 * change (`members:update`), and Remove for those the user may remove (`members:remove`), or Leave on their own
 * row. Only an owner makes, unmakes or removes an owner; the server refuses the rest, and keeps the last owner.
 */
import { ActiveOrganization, MemberDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, make } from './dom';
import { dateTimeFormat } from './time-format';

export const ORG_ROLES: readonly MemberDto['role'][] = ['owner', 'admin', 'member'];

const ui = {
  membersBody: element<HTMLTableElement>('members').tBodies[0],
  outcome: element('members-outcome'),
};

/** What happens once the user has left the active organization; organizations.ts supplies it. */
let afterLeaving: () => Promise<void> = () => Promise.resolve();

/** The roles the user may hand out: an owner every role, anyone else all but owner. */
export function grantableRoles(active: ActiveOrganization): MemberDto['role'][] {
  return ORG_ROLES.filter((role) => role !== 'owner' || active.role === 'owner');
}

function memberRow(member: MemberDto, active: ActiveOrganization): HTMLTableRowElement {
  const self = member.userId === client.state.user?.id;
  // An owner's row is an owner's business: nobody else may change or remove it.
  const mayTouch = active.role === 'owner' || member.role !== 'owner';
  const row = make('tr', undefined, self ? 'current' : undefined);
  row.id = `member-${member.userId}`;
  const who = make('td');
  who.append(make('span', member.email));
  if (self) who.append(make('span', 'you', 'badge'));
  const role = make('td');
  if (!self && mayTouch && active.permissions.includes('members:update')) {
    role.append(roleSelect(member, active));
  } else {
    role.append(make('span', member.role));
  }
  const action = make('td');
  if (self || (mayTouch && active.permissions.includes('members:remove'))) {
    const remove = make('button', self ? 'Leave' : 'Remove', 'danger');
    remove.type = 'button';
    remove.id = `member-remove-${member.userId}`;
    remove.setAttribute(
      'aria-label',
      self ? 'Leave this organization' : `Remove ${member.email} from the organization`,
    );
    remove.addEventListener('click', () => void act(remove, () => removeMember(member, active, self)));
    action.append(remove);
  }
  row.append(who, role, make('td', dateTimeFormat.format(new Date(member.joinedAt))), action);
  return row;
}

function roleSelect(member: MemberDto, active: ActiveOrganization): HTMLSelectElement {
  const select = make('select');
  select.id = `member-role-${member.userId}`;
  select.setAttribute('aria-label', `Role of ${member.email}`);
  for (const role of grantableRoles(active))
    select.append(new Option(role, role, false, role === member.role));
  select.addEventListener('change', () => {
    const role = select.value as MemberDto['role'];
    select.disabled = true;
    void act(null, async () => {
      ui.outcome.textContent = '';
      try {
        const changed = await client.changeMemberRole(active.id, member.userId, role);
        ui.outcome.textContent = `${changed.email} is ${changed.role} now.`;
      } finally {
        // Redrawn from the server either way: a refused change puts the select back.
        await loadMembers(active);
      }
    });
  });
  return select;
}

async function removeMember(member: MemberDto, active: ActiveOrganization, self: boolean): Promise<void> {
  ui.outcome.textContent = '';
  await client.removeMember(active.id, member.userId);
  if (self) {
    await afterLeaving();
    return;
  }
  ui.outcome.textContent = `${member.email} is no longer a member.`;
  await loadMembers(active);
}

export async function loadMembers(active: ActiveOrganization): Promise<void> {
  const members = await client.members(active.id);
  ui.membersBody.replaceChildren(...members.map((member) => memberRow(member, active)));
}

export function clearMembers(): void {
  ui.membersBody.replaceChildren();
  ui.outcome.textContent = '';
}

export function wireMembers(onLeft: () => Promise<void>): void {
  afterLeaving = onLeft;
}
