import { FeatureOwner } from './feature-files';

export const USAGE = `usage: npm run generate:feature -- <plural-name> [--singular <word>] [--org]
  <plural-name>      the collection, as in its URL: lower-case letters and hyphens, e.g. bookmarks
  --singular <word>  the singular of an irregular plural, e.g. people --singular person
  --org              owned by an organization (/api/orgs/:id/<plural-name>, permissions <plural-name>:read
                     and :write), as projects; without it, owned by a user (/api/<plural-name>), as notes`;

/** What the command was asked for. */
export interface FeatureArguments {
  name: string;
  singular?: string;
  owner: FeatureOwner;
}

/** The command's arguments, `{help}` for --help, or the reason they cannot be used (ending with the usage). */
export function parseFeatureArguments(args: readonly string[]): FeatureArguments | { help: true } | string {
  let name: string | undefined;
  let singular: string | undefined;
  let owner: FeatureOwner = 'user';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--org') owner = 'organization';
    else if (arg === '--singular') {
      singular = args[++i];
      if (!singular || singular.startsWith('-')) return `--singular needs a word\n${USAGE}`;
    } else if (arg.startsWith('--singular=')) singular = arg.slice('--singular='.length);
    else if (arg.startsWith('-')) return `unknown option ${arg}\n${USAGE}`;
    else if (name === undefined) name = arg;
    else return `one feature at a time (got "${name}" and "${arg}")\n${USAGE}`;
  }
  if (name === undefined) return USAGE;
  if (singular === '') return `--singular needs a word\n${USAGE}`;
  return { name, singular, owner };
}
