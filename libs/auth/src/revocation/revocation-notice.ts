/** The PostgreSQL channel on which instances tell each other about revoked sessions. */
export const REVOCATION_CHANNEL = 'gatehouse_revocations';

// A NOTIFY payload must stay under 8000 bytes: about 150 session ids per notice.
const IDS_PER_NOTICE = 150;

export interface RevocationNotice {
  at: Date;
  ids: string[];
}

/** The notices announcing that these sessions were revoked at `at`. */
export function revocationNotices(ids: string[], at: Date): string[] {
  const notices: string[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_NOTICE) {
    notices.push(JSON.stringify({ at: at.toISOString(), ids: ids.slice(i, i + IDS_PER_NOTICE) }));
  }
  return notices;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a notice; undefined for anything malformed. */
export function parseRevocationNotice(payload: string): RevocationNotice | undefined {
  try {
    const { at, ids } = JSON.parse(payload) as { at?: unknown; ids?: unknown };
    const when = typeof at === 'string' ? new Date(at) : undefined;
    if (!when || Number.isNaN(when.getTime()) || !Array.isArray(ids)) return undefined;
    const valid = ids.filter((id): id is string => typeof id === 'string' && UUID.test(id));
    return { at: when, ids: valid };
  } catch {
    return undefined;
  }
}
