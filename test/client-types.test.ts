import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * A consumer program type-checked against `herald/client` as a TypeScript
 * user imports it (the package's `exports`): typed results compile, a wrong
 * field does not. The program is compiled in memory with the project's
 * compiler settings; nothing is written.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const operations = readFileSync(new URL('../src/client/operations.graphql', import.meta.url), 'utf8');
const statsText = (() => {
  const definition = parse(operations).definitions.find((d) => d.kind === 'OperationDefinition' && d.name?.value === 'Stats')!;
  return operations.slice(definition.loc!.start, definition.loc!.end);
})();

function diagnostics(source: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const file = `${root}test/consumer.virtual.ts`;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || ts.sys.fileExists(name);
  host.getSourceFile = (name, version, onError, create) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, onError, create);
  const program = ts.createProgram([file], config.options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const consumer = (body: string) => `
import { createHeraldClient, graphql, TaskEventsDocument, CreateTaskDocument, GatewayEventsDocument, type Health } from 'herald/client';

export async function main(): Promise<void> {
  const herald = createHeraldClient({ url: 'http://127.0.0.1:4000/graphql', token: 'x', clientName: 'consumer' });
  const created = await herald.request(CreateTaskDocument, { input: { repository: 'demo', title: 'typed' } });
  const id: string = created.createTask.id;
  const stats = await herald.request(graphql(${JSON.stringify(statsText)}));
  const instances: number = stats.stats.cluster.instances.length;
  for await (const { taskEvents } of herald.subscribe(TaskEventsDocument, { repositories: ['demo'] })) {
    const kind: 'CREATED' | 'UPDATED' | 'DELETED' = taskEvents.type;
    const title: string | undefined = taskEvents.task?.title;
    ${body}
    void [id, instances, kind, title];
  }
  herald.subscribe(GatewayEventsDocument, { gatewayId: 'g1' }, {
    next: ({ gatewayEvents }) => {
      if (gatewayEvents.payload.__typename === 'ApiDeployed') console.log(gatewayEvents.payload.vhost);
    },
  });
  const health: Health = herald.health();
  void health.score;
}
`;

describe('typed operations for a TypeScript consumer of herald/client', () => {
  it('compiles a program that uses typed results, including the graphql() helper for one operation', () => {
    expect(diagnostics(consumer(''))).toEqual([]);
  }, 60_000);

  it('refuses to compile a wrong field, a wrong variable and a wrong enum value', () => {
    expect(diagnostics(consumer('console.log(taskEvents.task?.titel);'))).toEqual([expect.stringContaining("Property 'titel' does not exist")]);
    expect(diagnostics(consumer("herald.subscribe(TaskEventsDocument, { repository: ['demo'] });")).join('\n')).toMatch(/repository/);
    expect(diagnostics(consumer("const wrong: 'MOVED' = taskEvents.type;")).join('\n')).toMatch(/not assignable/);
  }, 60_000);
});

describe('src/client/operations.graphql', () => {
  it('has an operation for every query, mutation and subscription of the schema', () => {
    const schema = buildSchema(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}).map((name) => `${type!.name}.${name}`),
    );
    const covered = parse(operations)
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .flatMap((d) => d.selectionSet.selections.map((s) => `${{ query: 'Query', mutation: 'Mutation', subscription: 'Subscription' }[d.operation]}.${s.kind === Kind.FIELD ? s.name.value : ''}`));
    expect(fields.filter((field) => !covered.includes(field))).toEqual([]);
  });
});
