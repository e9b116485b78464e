/** Every spelling of one feature's name that the generated files use, derived from its plural kebab-case form. */
export interface FeatureNames {
  /** `reading-lists`: the folder, the route, the file prefix of the module, service and controller. */
  plural: string;
  /** `reading-list`: the entity's and the DTOs' file names. */
  singular: string;
  /** `ReadingLists`: the module, service and controller classes. */
  pluralClass: string;
  /** `ReadingList`: the entity class, and the DTO classes' stem. */
  singularClass: string;
  /** `readingLists`: the service's repository and the controller's service property. */
  pluralProperty: string;
  /** `readingList`: one item in a callback. */
  singularProperty: string;
  /** `reading_lists`: the table. */
  table: string;
  /** `reading lists` / `reading list`: the words in messages and descriptions. */
  pluralWords: string;
  singularWords: string;
  /** `reading-lists:read` / `reading-lists:write`: the scopes that open the routes to API keys. */
  readScope: string;
  writeScope: string;
}

const KEBAB = /^[a-z]+(-[a-z]+)*$/;
/** The longest resource a scope may name (`defineScopes` refuses a longer one when the app starts). */
const MAX_SCOPE_RESOURCE = 40;

/** Refuses what cannot be a feature name, with the reason; answers nothing when the name is usable. */
export function nameProblem(name: string): string | undefined {
  if (!KEBAB.test(name))
    return `"${name}" is not a feature name: use lower-case letters and hyphens, e.g. bookmarks or reading-lists`;
  if (scopeResourceOf(name).length > MAX_SCOPE_RESOURCE)
    return `"${name}" is too long: it names the feature's scopes (${name}:read), which allow at most ${MAX_SCOPE_RESOURCE} characters before the colon`;
  return undefined;
}

/**
 * The resource half of a feature's scopes (`reading-lists` in `reading-lists:read`): the plural in lower case with
 * hyphens between its words, the spelling scope names allow and API key owners see in the URL.
 */
export function scopeResourceOf(plural: string): string {
  return plural
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .join('-')
    .toLowerCase();
}

/**
 * The singular of a plural English noun, for the regular cases (`bookmarks`, `categories`, `boxes`). Answers
 * undefined for a word that does not read as a regular plural; `--singular` names the irregular ones.
 */
export function singularOf(plural: string): string | undefined {
  if (/[^aeiou]ies$/.test(plural)) return `${plural.slice(0, -3)}y`;
  if (/(ss|x|ch|sh|zz)es$/.test(plural)) return plural.slice(0, -2);
  if (/[^su]s$/.test(plural)) return plural.slice(0, -1);
  return undefined;
}

const pascal = (kebab: string) =>
  kebab
    .split('-')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
const camel = (kebab: string) => pascal(kebab)[0].toLowerCase() + pascal(kebab).slice(1);

/** Every spelling of the feature, or the reason the names cannot be used. */
export function featureNames(plural: string, singular = singularOf(plural)): FeatureNames | string {
  const problem = nameProblem(plural);
  if (problem) return problem;
  if (singular === undefined)
    return `"${plural}" does not read as a plural: name the collection (bookmarks, not bookmark), or give its singular with --singular`;
  if (!KEBAB.test(singular)) return `the singular "${singular}" must be lower-case letters and hyphens too`;
  if (singular === plural) return `the singular and the plural must differ ("${plural}")`;
  const scopeResource = scopeResourceOf(plural);
  return {
    plural,
    singular,
    pluralClass: pascal(plural),
    singularClass: pascal(singular),
    pluralProperty: camel(plural),
    singularProperty: camel(singular),
    table: plural.replace(/-/g, '_'),
    pluralWords: plural.replace(/-/g, ' '),
    singularWords: singular.replace(/-/g, ' '),
    readScope: `${scopeResource}:read`,
    writeScope: `${scopeResource}:write`,
  };
}
