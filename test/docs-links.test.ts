// The documentation's relative links resolve: every file a Markdown file links to (or shows with <img>)
// exists, and every #anchor into a Markdown file names one of its headings (GitHub's heading ids).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', 'dist-test', 'runs', 'data']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith('.') || SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading id: lower case, punctuation dropped (not - and _), spaces to -, -1, -2 for repeats. */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

function relativeTargets(text: string): string[] {
  const links = [...text.matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  const images = [...text.matchAll(/<img\s[^>]*src="([^"]+)"/g)].map((m) => m[1]);
  return [...links, ...images].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('documentation links', () => {
  const files = markdownFiles(ROOT);

  it('finds the documentation', () => {
    const names = files.map((f) => relative(ROOT, f));
    for (const expected of ['README.md', 'docs/api.md', 'docs/streaming.md', 'models/pku-mmd-detect.md'])
      assert.ok(names.includes(expected), `${expected} among ${names.length} files`);
  });

  it('every relative link and image names a file that exists, and every #anchor a heading', () => {
    const broken: string[] = [];
    const ids = new Map<string, Set<string>>();
    for (const file of files) {
      for (const target of relativeTargets(prose(file))) {
        const [path, anchor] = target.split('#', 2);
        const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
        const where = `${relative(ROOT, file)} -> ${target}`;
        if (!existsSync(resolved)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor === undefined || !resolved.endsWith('.md')) continue;
        if (!ids.has(resolved)) ids.set(resolved, headingIds(readFileSync(resolved, 'utf8')));
        if (!ids.get(resolved)?.has(anchor)) broken.push(`${where}: no heading with that id`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('heading ids follow GitHub: punctuation dropped, repeats numbered', () => {
    const ids = headingIds(
      '# A b\n## Hostile-input fuzzing (`npm run bench:soak`)\n```\n# not a heading\n```\n## A b\n### Per-request overhead (issue #19, 2026-11-29)\n',
    );
    assert.deepEqual(
      [...ids],
      ['a-b', 'hostile-input-fuzzing-npm-run-benchsoak', 'a-b-1', 'per-request-overhead-issue-19-2026-11-29'],
    );
  });
});
