import { parseMembershipNotice } from './membership-changes';

const ORG = '0b7f4f0e-6d0a-4c47-9a51-2a7c1a6f3b10';
const USER = '5d1c1e6b-8f57-4b0f-a3c1-7b2f9e0d4c21';
const AT = '2026-12-07T12:00:00.000Z';

describe('membership notices', () => {
  it('reads each change: organization, user, role (null: gone) and when', () => {
    expect(
      parseMembershipNotice(
        JSON.stringify([
          [ORG, USER, 'admin', AT],
          [ORG, USER, null, AT],
        ]),
      ),
    ).toEqual([
      { organizationId: ORG, userId: USER, role: 'admin', at: new Date(AT) },
      { organizationId: ORG, userId: USER, role: null, at: new Date(AT) },
    ]);
  });

  it('leaves out what is malformed, and reads nothing from what is not a notice', () => {
    const notice = [
      ['not-a-uuid', USER, 'admin', AT],
      [ORG, USER, 'Admin; DROP', AT],
      [ORG, USER, 'admin', 'yesterday'],
      [ORG, USER, 42, AT],
      'garbage',
      [ORG, USER, 'member', AT],
    ];
    expect(parseMembershipNotice(JSON.stringify(notice))).toEqual([
      { organizationId: ORG, userId: USER, role: 'member', at: new Date(AT) },
    ]);
    expect(parseMembershipNotice('{')).toEqual([]);
    expect(parseMembershipNotice('{"a":1}')).toEqual([]);
  });
});
