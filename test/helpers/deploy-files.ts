import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root, where the Dockerfile, the compose files and deploy/ live. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const readRoot = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** One Dockerfile instruction: its keyword (upper case) and the rest of its line(s), continuations joined. */
export type Instruction = { readonly keyword: string; readonly args: string };
export type Stage = { readonly from: string; readonly name: string | undefined; readonly instructions: Instruction[] };

/** The stages of a Dockerfile, as Docker reads it: comments dropped, `\` continuations joined. */
export function dockerfileStages(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical.filter((l) => l !== '')) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length > 0) stages.at(-1)!.instructions.push(instruction);
  }
  return stages;
}

/**
 * Whether Docker sends `path` (relative to the context, `/`-separated) to the
 * build, by the rules of a .dockerignore: each line is a pattern (`*` within a
 * name, `**` across names, `?` one character), a leading `!` takes back an
 * exclusion, the last line that matches the path or one of its parent folders
 * decides.
 */
export function dockerIgnores(dockerignore: string): (path: string) => boolean {
  const rules = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { include, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.include;
    return ignored;
  };
}
