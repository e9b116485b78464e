import { resolve } from 'node:path';
import { featureConflict } from './feature-conflicts';
import { featureNames, FeatureNames } from './feature-names';

const ROOT = resolve(__dirname, '../..');
const names = (plural: string) => featureNames(plural) as FeatureNames;

// Read from this repository as it is: its controllers and folders.
describe('a feature’s name taken in this repository', () => {
  it.each([
    ['members', 'organization', /the route \/api\/orgs\/:id\/members is already served/],
    ['invitations', 'organization', /the route \/api\/orgs\/:id\/invitations is already served/],
    ['invitations', 'user', /the route \/api\/invitations is already served/],
    ['projects', 'organization', /apps\/api\/src\/projects already exists/],
    [
      'wrong-codes',
      'user',
      /the user data wrongCodes is already registered \(libs\/auth\/src\/mfa\/mfa-data\.ts\)/,
    ],
  ] as const)('refuses %s (owned by a %s)', (plural, owner, reason) => {
    expect(featureConflict(ROOT, names(plural), owner)).toMatch(reason);
  });

  it('takes a route under /api/orgs/:id/ as free when no controller serves it, whatever /api/orgs serves', () => {
    expect(featureConflict(ROOT, names('boards'), 'organization')).toBeUndefined();
  });
});
