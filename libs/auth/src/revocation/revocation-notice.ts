/** The PostgreSQL channel on which instances tell each other about revoked sessions and machine credentials. */
export const REVOCATION_CHANNEL = 'gatehouse_revocations';

// A NOTIFY payload must stay under 8000 bytes: about 150 ids per notice.
const IDS_PER_NOTICE = 150;

/**
 * `ids`: revoked sessions and deleted service clients, whose access tokens stop at once (kept in the revocation
 * set). `forget`: API keys and users whose cached API-key verdicts must be dropped and read again (a key deleted,
 * a user disabled or enabled).
 */
export interface RevocationNotice {
  at: Date;
  ids: string[];
  forget: string[];
}

/** Where notices are sent from: a transaction (a notice is heard only if it commits), or the pool. */
interface Sender {
  query(sql: string, parameters: unknown[]): Promise<unknown>;
}

/**
 * Tells every instance that these sessions or service clients were revoked at `at` (`ids`), or that their cached
 * verdicts on these API keys or users are stale (`forget`). Sent in the caller's transaction.
 */
export async function announceRevocations(
  db: Sender,
  notice: { readonly at: Date; readonly ids?: string[]; readonly forget?: string[] },
): Promise<void> {
  const payloads = [
    ...revocationNotices(notice.ids ?? [], notice.at),
    ...(notice.forget?.length ? [forgetNotice(notice.forget, notice.at)] : []),
  ];
  for (const payload of payloads) await db.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, payload]);
}

/** The notices announcing that these sessions (or clients) were revoked at `at`. */
export function revocationNotices(ids: string[], at: Date): string[] {
  const notices: string[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_NOTICE) {
    notices.push(JSON.stringify({ at: at.toISOString(), ids: ids.slice(i, i + IDS_PER_NOTICE) }));
  }
  return notices;
}

/** The notice telling every instance to drop what it has cached about these API keys or users. */
export function forgetNotice(ids: string[], at: Date): string {
  return JSON.stringify({ at: at.toISOString(), ids: [], forget: ids.slice(0, IDS_PER_NOTICE) });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A service client's `client_id`, as ServiceClients makes them. */
export const CLIENT_ID = /^gcl_[A-Za-z0-9_-]{16,60}$/;

/** Reads a notice; undefined for anything malformed. */
export function parseRevocationNotice(payload: string): RevocationNotice | undefined {
  try {
    const { at, ids, forget } = JSON.parse(payload) as { at?: unknown; ids?: unknown; forget?: unknown };
    const when = typeof at === 'string' ? new Date(at) : undefined;
    if (!when || Number.isNaN(when.getTime()) || !Array.isArray(ids)) return undefined;
    const valid = ids.filter(
      (id): id is string => typeof id === 'string' && (UUID.test(id) || CLIENT_ID.test(id)),
    );
    const forgotten = Array.isArray(forget)
      ? forget.filter((id): id is string => typeof id === 'string' && UUID.test(id))
      : [];
    return { at: when, ids: valid, forget: forgotten };
  } catch {
    return undefined;
  }
}
