/**
 * `npm run keys:generate [-- --out DIR]`: makes a new access-token signing key (ES256) and a refresh-token
 * secret. Without --out it prints them; with --out it writes them as files (mode 0600) for the *_FILE settings.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verificationKey } from './key-material';

function main(args: string[]): void {
  const outIndex = args.indexOf('--out');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const { kid } = verificationKey(publicKey);
  const secret = randomBytes(48).toString('base64url');

  if (outIndex === -1) {
    process.stdout.write(
      [
        `# kid ${kid}`,
        '# ACCESS_TOKEN_PRIVATE_KEY (keep secret):',
        privatePem.trim(),
        '# Its public key, for ACCESS_TOKEN_PREVIOUS_PUBLIC_KEYS once the next key replaces it:',
        publicPem.trim(),
        '# REFRESH_TOKEN_SECRET (keep secret; changing it logs everybody out):',
        secret,
        '',
      ].join('\n'),
    );
    return;
  }
  const dir = resolve(args[outIndex + 1] ?? '.');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: [string, string][] = [
    [`access-${kid}.pem`, privatePem],
    [`access-${kid}.pub.pem`, publicPem],
    ['refresh-secret', secret],
  ];
  for (const [name, content] of files) writeFileSync(join(dir, name), content, { mode: 0o600, flag: 'wx' });
  process.stdout.write(`Wrote ${files.map(([name]) => join(dir, name)).join(', ')} (kid ${kid})\n`);
}

main(process.argv.slice(2));
