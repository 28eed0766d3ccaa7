import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';

/**
 * The manual cannot drift from the code: the settings table lists exactly the
 * variables config.ts reads, with its defaults, and no relative link in the
 * Markdown files points nowhere.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const markdownFiles = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown without fenced code blocks and inline code, where brackets and hashes mean nothing. */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');

type Row = { readonly name: string; readonly defaultCell: string };

/** The rows of the table headed `| name | default | meaning |`. */
function settingsTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => /^\|\s*name\s*\|\s*default\s*\|\s*meaning\s*\|\s*$/.test(line));
  if (header < 0) throw new Error('docs/configuration.md has no table headed | name | default | meaning |');
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.slice(1, -1).split(/\s\|\s/).map((cell) => cell.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0] ?? '');
    if (!name) throw new Error(`a settings row must name one variable in backticks: ${line}`);
    rows.push({ name: name[1]!, defaultCell: cells[1] ?? '' });
  }
  return rows;
}

/** GitHub's anchor for each heading of a Markdown file. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = text!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('docs/configuration.md', () => {
  const rows = settingsTable(read('docs/configuration.md'));

  it('lists exactly the variables config.ts reads, each once', () => {
    const listed = rows.map((row) => row.name);
    expect(new Set(listed).size, 'a variable is listed twice').toBe(listed.length);
    expect([...listed].sort()).toEqual(SETTINGS.map((s) => s.name).sort());
  });

  it("shows config.ts's default for every variable that has one", () => {
    for (const setting of SETTINGS) {
      const row = rows.find((r) => r.name === setting.name);
      if (!row || setting.default === undefined) continue; // a missing row is reported above
      const shown = /`([^`]*)`/.exec(row.defaultCell)?.[1];
      expect(shown, `default of ${setting.name}`).toBe(setting.default);
    }
  });
});

describe('relative links', () => {
  it.each(markdownFiles)('in %s point to files and headings that exist', (file) => {
    const broken: string[] = [];
    for (const [, target] of prose(read(file)).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // http:, https:, mailto:
      const [path, anchor] = target!.split('#', 2) as [string, string | undefined];
      const resolved = path === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(path));
      if (!existsSync(resolved)) {
        broken.push(`${target} (no file ${relative(root, resolved)})`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${relative(root, resolved)})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
