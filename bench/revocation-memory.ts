/**
 * Memory held by the in-memory revocation set per revoked session: the heap growth of a RevocationService
 * (the app's own class, default settings) after 100,000 revocations, measured around full garbage
 * collections. Needs `--expose-gc`; a child process of the driver, so nothing else is on its heap.
 */
import { loadConfig } from '@gatehouse/config';
import { randomUUID } from 'node:crypto';
import { parseRevocationNotice, revocationNotices } from '../libs/auth/src/revocation/revocation-notice';
import { RevocationService } from '../libs/auth/src/revocation/revocation.service';
import { reportToParent } from './ipc';

export interface RevocationMemoryResult {
  entries: number;
  heapBytes: number;
  bytesPerEntry: number;
}

function settledHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Revokes `count` random sessions the way other instances' revocations arrive: announced in NOTIFY payloads,
 * parsed, added. The set then holds the session ids as the app gets them (flat strings out of a parser, as
 * from a JWT's claims or a database row), not as randomUUID() builds them (a rope of small strings).
 */
function revokeThroughNotices(revocations: RevocationService, count: number, at: Date): void {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const payload of revocationNotices(ids, at)) {
    const notice = parseRevocationNotice(payload);
    if (!notice || notice.ids.length === 0) throw new Error('a notice did not parse');
    revocations.add(notice.ids, notice.at);
  }
}

function measure(entries: number): RevocationMemoryResult {
  const revocations = new RevocationService(loadConfig({}));
  try {
    const now = new Date();
    revokeThroughNotices(revocations, 1, now); // the map exists either way: its first entry sizes nothing
    const before = settledHeap();
    revokeThroughNotices(revocations, entries - 1, now);
    const after = settledHeap();
    if (revocations.size !== entries)
      throw new Error(`expected ${entries} entries, found ${revocations.size}`);
    const heapBytes = after - before;
    return { entries, heapBytes, bytesPerEntry: heapBytes / (entries - 1) };
  } finally {
    revocations.onModuleDestroy();
  }
}

reportToParent(() => Promise.resolve().then(() => measure(Number(process.argv[2]))));
