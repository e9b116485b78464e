import { parseFeatureArguments, USAGE } from './feature-arguments';

describe('generate:feature arguments', () => {
  it.each([
    [['bookmarks'], { name: 'bookmarks', singular: undefined, owner: 'user' }],
    [['people', '--singular', 'person'], { name: 'people', singular: 'person', owner: 'user' }],
    [['--singular=person', 'people'], { name: 'people', singular: 'person', owner: 'user' }],
    [['boards', '--org'], { name: 'boards', singular: undefined, owner: 'organization' }],
    [['--org', 'boards'], { name: 'boards', singular: undefined, owner: 'organization' }],
    [
      ['people', '--org', '--singular', 'person'],
      { name: 'people', singular: 'person', owner: 'organization' },
    ],
  ])('reads %j', (args, parsed) => {
    expect(parseFeatureArguments(args)).toEqual(parsed);
  });

  it.each([[['--help']], [['-h']], [['bookmarks', '--help']], [['--org', 'bookmarks', '-h']]])(
    'answers help to %j, whatever else is there',
    (args) => {
      expect(parseFeatureArguments(args)).toEqual({ help: true });
    },
  );

  it('says what --org does in the usage', () => {
    expect(USAGE).toMatch(
      /^usage: npm run generate:feature -- <plural-name> \[--singular <word>\] \[--org\]\n/,
    );
    expect(USAGE).toMatch(/--org +owned by an organization \(\/api\/orgs\/:id\/<plural-name>/);
  });

  it.each([
    [[], /^usage: /],
    [['bookmarks', 'boards'], /^one feature at a time \(got "bookmarks" and "boards"\)\nusage: /],
    [['boards', '--orgs'], /^unknown option --orgs\nusage: /],
    [['boards', '--org=true'], /^unknown option --org=true\nusage: /],
    [['people', '--singular'], /^--singular needs a word\nusage: /],
    [['people', '--singular', '--org'], /^--singular needs a word\nusage: /],
    [['people', '--singular='], /^--singular needs a word\nusage: /],
  ])('refuses %j with the reason and the usage', (args, reason) => {
    expect(parseFeatureArguments(args)).toMatch(reason);
  });
});
