import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
/** The contract itself lives beside the clone (CI lays `shared/` there); docs/contract.md is its copy. */
const CONTRACT = resolve(ROOT, '../shared/CONTRACT.md');
const COPY = join(ROOT, 'docs/contract.md');

/** The sections the copy lacked when it last drifted. */
const V2_HEADINGS = [
  '## Public addresses (v2)',
  '## Email: verification, password reset, email change (v2)',
  '## Sign-in with other providers: OAuth 2.0 and OpenID Connect (v2)',
  '## Second factor: authenticator app (TOTP) and recovery codes (v2)',
  '## Passkeys (WebAuthn) (v2)',
  '## Operations (v2)',
];

describe('docs/contract.md', () => {
  const copy = readFileSync(COPY);

  if (existsSync(CONTRACT)) {
    it('is a byte-for-byte copy of the shared contract', () => {
      const contract = readFileSync(CONTRACT);
      // The text first, for a readable diff; then the bytes, which also see encoding and line-ending drift.
      expect(copy.toString('utf8')).toBe(contract.toString('utf8'));
      expect(copy.equals(contract)).toBe(true);
    });
  } else {
    it('has every v2 section (the shared contract is not here to compare with)', () => {
      const lines = copy.toString('utf8').split('\n');
      expect(lines).toEqual(expect.arrayContaining(V2_HEADINGS));
    });
  }
});
