/**
 * The active organization's pending invitations, for those whose role may invite (`members:invite`): the list
 * with a Withdraw button each, and a form that invites an address with a role. The link goes out by mail only.
 */
import { ActiveOrganization, InvitationDto, MemberDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';
import { grantableRoles } from './org-members';
import { dateTimeFormat } from './time-format';

const ui = {
  section: element('org-invitations'),
  invitations: element<HTMLTableElement>('invitations'),
  invitationsBody: element<HTMLTableElement>('invitations').tBodies[0],
  empty: element('invitations-empty'),
  inviteForm: element<HTMLFormElement>('invite-form'),
  inviteRole: element<HTMLSelectElement>('invite-role'),
  outcome: element('invitations-outcome'),
};

/** The organization the form invites to: the active one the section was last drawn for. */
let drawnFor: ActiveOrganization | null = null;

function invitationRow(invitation: InvitationDto, active: ActiveOrganization): HTMLTableRowElement {
  const row = make('tr');
  row.id = `invitation-${invitation.id}`;
  const withdraw = make('button', 'Withdraw', 'danger');
  withdraw.type = 'button';
  withdraw.id = `invitation-withdraw-${invitation.id}`;
  withdraw.setAttribute('aria-label', `Withdraw the invitation of ${invitation.email}`);
  withdraw.addEventListener(
    'click',
    () =>
      void act(withdraw, async () => {
        ui.outcome.textContent = '';
        await client.withdrawInvitation(active.id, invitation.id);
        ui.outcome.textContent = `The invitation of ${invitation.email} no longer works.`;
        await loadInvitations(active);
      }),
  );
  const action = make('td');
  action.append(withdraw);
  row.append(
    make('td', invitation.email),
    make('td', invitation.role),
    make('td', dateTimeFormat.format(new Date(invitation.expiresAt))),
    action,
  );
  return row;
}

function renderRoleChoices(active: ActiveOrganization): void {
  const chosen = ui.inviteRole.value || 'member';
  const roles = grantableRoles(active);
  ui.inviteRole.replaceChildren(
    ...roles.map((role) => new Option(role, role, role === 'member', role === chosen)),
  );
}

export async function loadInvitations(active: ActiveOrganization): Promise<void> {
  drawnFor = active;
  ui.section.hidden = !active.permissions.includes('members:invite');
  if (ui.section.hidden) {
    ui.invitationsBody.replaceChildren();
    return;
  }
  renderRoleChoices(active);
  const pending = await client.invitations(active.id);
  ui.invitations.hidden = pending.length === 0;
  ui.empty.hidden = pending.length > 0;
  ui.invitationsBody.replaceChildren(...pending.map((invitation) => invitationRow(invitation, active)));
}

export function clearInvitations(): void {
  drawnFor = null;
  ui.section.hidden = true;
  ui.invitationsBody.replaceChildren();
  ui.outcome.textContent = '';
}

export function wireInvitations(): void {
  ui.inviteForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const active = drawnFor;
    if (active === null) return;
    const { email, role } = fieldsOf(ui.inviteForm);
    void act(submitButton(ui.inviteForm), async () => {
      ui.outcome.textContent = '';
      const sent = await client.invite(active.id, email.trim(), role as MemberDto['role']);
      ui.inviteForm.reset();
      ui.outcome.textContent = `Invited ${sent.email} as ${sent.role}: a link is on its way to them.`;
      await loadInvitations(active);
    });
  });
}
