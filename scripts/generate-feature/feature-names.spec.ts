import { featureNames, FeatureNames, scopeResourceOf, singularOf } from './feature-names';

/** The rule `defineScopes` holds every scope to (libs/auth/src/machine/scopes.ts). */
const SCOPE_NAME = /^[a-z][a-z0-9_-]{0,39}:[a-z][a-z0-9_-]{0,39}$/;

describe('feature names', () => {
  it('derives every spelling from a plural kebab-case name', () => {
    expect(featureNames('reading-lists')).toEqual({
      plural: 'reading-lists',
      singular: 'reading-list',
      pluralClass: 'ReadingLists',
      singularClass: 'ReadingList',
      pluralProperty: 'readingLists',
      singularProperty: 'readingList',
      table: 'reading_lists',
      pluralWords: 'reading lists',
      singularWords: 'reading list',
      readScope: 'reading-lists:read',
      writeScope: 'reading-lists:write',
    });
  });

  it.each([
    ['bookmarks', 'bookmarks'],
    ['reading-lists', 'reading-lists'],
    ['reading_lists', 'reading-lists'],
    ['Reading Lists', 'reading-lists'],
  ])('derives the scope resource of %p as %p: lower case, words joined by hyphens', (plural, resource) => {
    expect(scopeResourceOf(plural)).toBe(resource);
  });

  // 40 characters: the longest resource a scope may name.
  const longest = `${'long-'.repeat(6)}checklists`;

  it.each(['bookmarks', 'reading-lists', 'people', longest])(
    'names scopes for %p that defineScopes accepts',
    (plural) => {
      expect(plural.length).toBeLessThanOrEqual(40);
      const names = featureNames(plural, plural === 'people' ? 'person' : undefined) as FeatureNames;
      expect(names.readScope).toBe(`${plural}:read`);
      expect(names.writeScope).toBe(`${plural}:write`);
      expect(names.readScope).toMatch(SCOPE_NAME);
      expect(names.writeScope).toMatch(SCOPE_NAME);
    },
  );

  it.each([
    ['bookmarks', 'bookmark'],
    ['categories', 'category'],
    ['boxes', 'box'],
    ['addresses', 'address'],
    ['watches', 'watch'],
    ['keys', 'key'],
  ])('reads %s as the plural of %s', (plural, singular) => {
    expect(singularOf(plural)).toBe(singular);
  });

  it.each([
    ['Bookmarks', /lower-case letters and hyphens/],
    ['book_marks', /lower-case letters and hyphens/],
    ['bookmarks2', /lower-case letters and hyphens/],
    ['-bookmarks', /lower-case letters and hyphens/],
    ['reading--lists', /lower-case letters and hyphens/],
    ['', /lower-case letters and hyphens/],
    ['bookmark', /does not read as a plural/],
    ['status', /does not read as a plural/],
    [`${'long-'.repeat(6)}whiteboards`, /too long: .*at most 40 characters/],
  ])('refuses %p with a reason', (name, reason) => {
    expect(featureNames(name)).toMatch(reason);
  });

  it('takes the singular of an irregular plural when given, and refuses a singular equal to the plural', () => {
    expect(featureNames('people', 'person')).toMatchObject({
      singularClass: 'Person',
      pluralClass: 'People',
    });
    expect(featureNames('statuses', 'status')).toMatchObject({ singular: 'status', table: 'statuses' });
    expect(featureNames('series', 'series')).toMatch(/must differ/);
    expect(featureNames('people', 'Person')).toMatch(/lower-case/);
  });
});
