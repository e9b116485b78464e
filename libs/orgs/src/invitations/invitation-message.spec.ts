import { invitationLink, invitationMessage, lifetimeText, oneLine } from './invitation-message';
import { invitationTokenHash, isInvitationTokenShaped, newInvitationToken } from './invitation-token';

describe('the invitation message', () => {
  const base = {
    to: 'ada@example.com',
    link: invitationLink('https://app.example.com', 'T'.repeat(43)),
    organizationName: 'Acme Corp',
    role: 'admin',
    inviterEmail: 'grace@example.com',
    ttlSeconds: 7 * 86400,
    expiresAt: new Date('2027-01-08T00:00:00Z'),
  };

  it('says who invited whom, to which organization and as what, with the link on a line of its own', () => {
    const message = invitationMessage(base);
    expect(message).toMatchObject({
      to: 'ada@example.com',
      purpose: 'org_invitation',
      expiresAt: base.expiresAt,
      subject: 'Invitation to join “Acme Corp”',
    });
    const lines = message.text.split('\n');
    expect(lines[0]).toBe('grace@example.com invited you to join the organization “Acme Corp” as an admin.');
    expect(lines).toContain(`https://app.example.com/#invitation=${'T'.repeat(43)}`);
    expect(message.text).toContain('expires in 7 days');
    expect(message.html).toBeUndefined();
  });

  it('names no one when the inviter’s address is not proven, and picks the article for the role', () => {
    const message = invitationMessage({ ...base, inviterEmail: null, role: 'member' });
    expect(message.text.split('\n')[0]).toBe(
      'A member of the organization invited you to join the organization “Acme Corp” as a member.',
    );
  });

  it('keeps a hostile organization name to one line, without invisible or reordering characters', () => {
    const name = 'Acme\r\nBcc: x@example.com\u202Etxt.exe\u200B\u2028 Inc\u0007';
    const message = invitationMessage({ ...base, organizationName: name });
    expect(message.subject).toBe('Invitation to join “Acme Bcc: x@example.com txt.exe Inc”');
    expect(message.text.split('\n')[0]).toContain('“Acme Bcc: x@example.com txt.exe Inc”');
    for (const character of ['\r', '\u202E', '\u200B', '\u2028', '\u0007']) {
      expect(message.text).not.toContain(character);
    }
  });

  it('cuts a long name in the subject, by characters, with an ellipsis', () => {
    const message = invitationMessage({ ...base, organizationName: '😀'.repeat(100) });
    expect(message.subject).toBe(`Invitation to join “${'😀'.repeat(59)}…”`);
    expect(oneLine('  a \t  b  ', 10)).toBe('a b');
  });

  it.each([
    [7 * 86400, '7 days'],
    [86400, '1 day'],
    [3 * 3600, '3 hours'],
    [5400, '90 minutes'],
    [60, '1 minute'],
    [90, '2 minutes'],
  ])('says a lifetime of %p s as "%s"', (seconds, text) => {
    expect(lifetimeText(seconds)).toBe(text);
  });
});

describe('invitation tokens', () => {
  it('are 32 random bytes in base64url, of which the SHA-256 is kept', () => {
    const { token, hash } = newInvitationToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(invitationTokenHash(token));
    expect(hash).not.toContain(token);
    expect(newInvitationToken().token).not.toBe(token);
  });

  it('refuses anything not shaped as one before it reaches the database', () => {
    expect(isInvitationTokenShaped(newInvitationToken().token)).toBe(true);
    for (const text of [
      '',
      'short',
      'A'.repeat(44),
      `${'A'.repeat(42)}=`,
      `${'A'.repeat(42)}é`,
      "' OR 1=1 --",
    ]) {
      expect(isInvitationTokenShaped(text)).toBe(false);
    }
  });
});
