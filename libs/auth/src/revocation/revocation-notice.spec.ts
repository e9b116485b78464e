import { randomUUID } from 'node:crypto';
import { forgetNotice, parseRevocationNotice, revocationNotices } from './revocation-notice';

describe('revocation notices', () => {
  it('round-trips ids and time, in notices that fit a NOTIFY payload', () => {
    const ids = Array.from({ length: 400 }, () => randomUUID());
    const at = new Date('2026-11-25T10:00:00.000Z');
    const notices = revocationNotices(ids, at);
    expect(notices.length).toBe(3);
    for (const notice of notices) expect(Buffer.byteLength(notice)).toBeLessThan(8000);
    const parsed = notices.map((notice) => parseRevocationNotice(notice)!);
    expect(parsed.flatMap((notice) => notice.ids)).toEqual(ids);
    expect(parsed.every((notice) => notice.at.getTime() === at.getTime())).toBe(true);
  });

  it.each(['', 'not json', '{"at":"yesterday","ids":[]}', '{"at":"2026-11-25T10:00:00Z"}', 'null'])(
    'ignores the malformed payload %p',
    (payload) => {
      expect(parseRevocationNotice(payload)).toBeUndefined();
    },
  );

  it('drops anything in a notice that is not a session id or a client id', () => {
    const id = randomUUID();
    const client = 'gcl_AAAAAAAAAAAAAAAAAAAAAA';
    const notice = parseRevocationNotice(
      JSON.stringify({ at: new Date().toISOString(), ids: [id, client, 'x', 'gcl_', 42] }),
    );
    expect(notice?.ids).toEqual([id, client]);
    expect(notice?.forget).toEqual([]);
  });

  it('carries the API keys and users whose cached verdicts every instance must forget', () => {
    const key = randomUUID();
    const notice = parseRevocationNotice(forgetNotice([key], new Date()));
    expect(notice).toMatchObject({ ids: [], forget: [key] });
    const garbled = parseRevocationNotice(
      JSON.stringify({
        at: new Date().toISOString(),
        ids: [],
        forget: [key, 'gcl_AAAAAAAAAAAAAAAAAAAAAA', 7],
      }),
    );
    expect(garbled?.forget).toEqual([key]);
  });
});
