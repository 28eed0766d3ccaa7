import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType, type IModule, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The dependency rules of src/, written in .dependency-cruiser.cjs, checked on
 * the real import graph: dependency-cruiser parses and resolves every import
 * of src/ (type-only imports included) and judges each rule. One rule it
 * cannot judge exactly, no import cycle between top-level folders, is checked
 * here on the same parsed graph collapsed to top-level folders.
 *
 * Each rule is a test of its own and fails listing every import that breaks
 * it. `npm run deps` prints the same rules from the command line.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const tsConfigFile = join(root, 'tsconfig.json');
const options = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
const rules: IForbiddenRuleType[] = options.ruleSet?.forbidden ?? [];
const isFolderRule = (rule: IForbiddenRuleType) => 'scope' in rule && rule.scope === 'folder';
const moduleRules = rules.filter((rule) => !isFolderRule(rule));

let result: ICruiseResult;
/** The modules of src/ and what each imports. */
let modules: IModule[];

beforeAll(async () => {
  const { output } = await cruise(
    ['src'],
    { ...options, baseDir: root, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered with text: ${output}`);
  result = output;
  modules = result.modules.filter((module) => module.source.startsWith('src/'));
});

describe('dependency rules of src/ (.dependency-cruiser.cjs)', () => {
  it('sees the whole import graph of src/, type-only imports included', () => {
    const internal = modules.flatMap((module) => module.dependencies.filter((dependency) => dependency.resolved.startsWith('src/')));
    const typeOnly = internal.filter((dependency) => dependency.dependencyTypes.includes('type-only'));
    expect(modules.length, 'modules of src/ cruised').toBeGreaterThan(100);
    expect(internal.length, 'imports between modules of src/').toBeGreaterThan(300);
    expect(typeOnly.length, 'type-only imports between modules of src/').toBeGreaterThan(50);
    const jsSpecifiers = internal.filter((dependency) => dependency.module.endsWith('.js'));
    expect(jsSpecifiers.length, "imports written './x.js'").toBeGreaterThan(300);
    expect(jsSpecifiers.filter((dependency) => !dependency.resolved.endsWith('.ts')), "'./x.js' resolves to './x.ts'").toEqual([]);
  });

  it('has rules whose paths all match something in src/, so none passes by matching nothing', () => {
    const sources = modules.map((module) => module.source);
    const targets = modules.flatMap((module) => module.dependencies.map((dependency) => dependency.resolved));
    const dead: string[] = [];
    for (const rule of moduleRules) {
      const from = rule.from.path;
      const to = 'to' in rule && 'path' in rule.to ? rule.to.path : undefined;
      if (from !== undefined && !matchesAny(from, sources)) dead.push(`${rule.name}: from.path ${String(from)} matches no module`);
      if (to !== undefined && !matchesAny(to, targets)) dead.push(`${rule.name}: to.path ${String(to)} matches no import`);
    }
    expect(moduleRules.length).toBeGreaterThanOrEqual(6);
    expectNone('rule paths that match nothing', dead);
  });

  it.each(moduleRules.map((rule) => [rule.name ?? '(unnamed)', rule] as const))('%s', (name, rule) => {
    const broken = result.summary.violations.filter((violation) => violation.rule.name === name).map(describeViolation);
    expectNone(`${name} (${rule.comment ?? ''})`, broken);
  });

  it('no-folder-cycle (top-level folders of src/ do not import each other in a circle)', () => {
    expect(rules.some(isFolderRule), 'the folder rule is in .dependency-cruiser.cjs').toBe(true);
    expectNone('top-level folders in an import cycle', folderCycles(modules));
  });
});

function matchesAny(pattern: string | string[], paths: string[]): boolean {
  return [pattern].flat().some((one) => paths.some((path) => new RegExp(one).test(path)));
}

function expectNone(title: string, broken: string[]): void {
  if (broken.length > 0) expect.fail(`${broken.length} × ${title}:\n${broken.map((line) => `  ${line}`).join('\n')}`);
}

function describeViolation(violation: IViolation): string {
  const typeOnly = violation.dependencyTypes?.includes('type-only') ? ' (type-only)' : '';
  if (violation.cycle?.length) return [violation.from, ...violation.cycle.map((step) => step.name)].join(' → ');
  if (violation.via?.length) return `${violation.from} reaches ${violation.to}: ${[violation.from, ...violation.via.map((step) => step.name)].join(' → ')}`;
  if (violation.unresolvedTo && violation.unresolvedTo === violation.to) return `${violation.from} → ${violation.to} (cannot be resolved)`;
  return `${violation.from} → ${violation.to}${typeOnly}`;
}

/** `src/<folder>/...` is its folder `src/<folder>`; a file at the top of src/ stands for itself. */
function unitOf(path: string): string {
  return /^src\/[^/]+(?=\/)/.exec(path)?.[0] ?? path;
}

/**
 * Collapses the module graph to top-level folders (a module's import is its
 * folder's import) and reports each strongly connected group of two or more
 * folders, found by depth-first search (Tarjan), with every folder-to-folder
 * import inside the group and up to three module imports behind each.
 * Top-level files are nodes of their own, so a circle through one (a folder,
 * src/config.ts, another folder, back) is a circle too.
 */
function folderCycles(graph: IModule[]): string[] {
  /** folder → imported folder → the module imports behind that edge */
  const edges = new Map<string, Map<string, string[]>>();
  for (const module of graph) {
    const from = unitOf(module.source);
    const out = edges.get(from) ?? new Map<string, string[]>();
    edges.set(from, out);
    for (const dependency of module.dependencies) {
      if (!dependency.resolved.startsWith('src/') || dependency.couldNotResolve) continue;
      const to = unitOf(dependency.resolved);
      if (to === from) continue;
      const typeOnly = dependency.dependencyTypes.includes('type-only') ? ' (type-only)' : '';
      out.set(to, [...(out.get(to) ?? []), `${module.source} → ${dependency.resolved}${typeOnly}`]);
    }
  }

  const groups: string[][] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);

  return groups
    .sort((a, b) => a[0]!.localeCompare(b[0]!))
    .map((group) => {
      const ties = group.flatMap((from) =>
        [...(edges.get(from) ?? [])]
          .filter(([to]) => group.includes(to))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([to, imports]) => {
            const shown = imports.slice(0, 3).map((line) => `        ${line}`);
            if (imports.length > 3) shown.push(`        and ${imports.length - 3} more`);
            return [`    ${from} → ${to}`, ...shown].join('\n');
          }),
      );
      return `${group.join(', ')} import each other in a circle:\n${ties.join('\n')}`;
    });
}
