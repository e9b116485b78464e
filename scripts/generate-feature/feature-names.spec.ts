import { featureNames, singularOf } from './feature-names';

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
    });
  });

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
