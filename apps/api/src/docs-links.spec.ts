import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

/**
 * Pages the README and docs link to that are written in changes of their own, beside this one. A link to one of
 * them may point nowhere until it lands; once the file exists, its links and anchors are checked like any other.
 */

interface Link {
  readonly from: string;
  readonly line: number;
  readonly target: string;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'BENCHMARKS.md', ...docs];
}

/** Text outside fenced code blocks and inline code spans, line by line: what a reader sees as prose. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

function linksIn(file: string): Link[] {
  const links: Link[] = [];
  proseLines(readFileSync(join(ROOT, file), 'utf8')).forEach((line, index) => {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ from: file, line: index + 1, target: match[1] });
    }
  });
  return links;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Why a relative link does not resolve, or undefined when it does. */
function brokenBecause(link: Link): string | undefined {
  const [path, anchor] = link.target.split('#', 2);
  const file = path === '' ? link.from : relative(ROOT, resolve(ROOT, dirname(link.from), decodeURI(path)));
  if (!existsSync(join(ROOT, file))) return `${file} does not exist`;
  if (anchor === undefined || !file.endsWith('.md')) return undefined;
  return anchorsOf(file).has(anchor) ? undefined : `${file} has no heading #${anchor}`;
}

describe('links in README.md and docs/', () => {
  const links = markdownFiles().flatMap(linksIn);
  const relativeLinks = links.filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target));

  it('finds the links to check', () => {
    expect(relativeLinks.length).toBeGreaterThan(20);
  });

  it('point at files and headings that exist', () => {
    const broken = relativeLinks
      .map((link) => ({ link, why: brokenBecause(link) }))
      .filter(({ why }) => why !== undefined)
      .map(({ link, why }) => `${link.from}:${link.line} (${link.target}): ${why}`);
    expect(broken).toEqual([]);
  });

  it('names the README pages from the docs folder and BENCHMARKS.md', () => {
    const readme = new Set(linksIn('README.md').map((link) => link.target.split('#')[0]));
    for (const page of [
      'docs/settings.md',
      'docs/security.md',
      'docs/operations.md',
      'docs/front-end.md',
      'docs/architecture.md',
      'BENCHMARKS.md',
      'docs/metrics.md',
      'docs/health-and-logs.md',
      'docs/client-package.md',
      'docs/adding-a-feature.md',
      'docs/machine-clients.md',
    ]) {
      expect(readme).toContain(page);
    }
  });
});
