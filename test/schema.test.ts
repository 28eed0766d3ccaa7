import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GraphQLObjectType } from 'graphql';
import { getSchema, printHeraldSchema } from '../src/schema/index.js';

describe('schema/schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` when this fails)', () => {
    const checkedIn = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printHeraldSchema());
  });

  it('keeps the public names clients rely on', () => {
    const schema = getSchema();
    const signature = (type: 'Query' | 'Mutation' | 'Subscription', name: string) => {
      const field = schema.getType(type) && (schema.getType(type) as GraphQLObjectType).getFields()[name];
      if (!field) return undefined;
      return `${name}(${field.args.map((a) => `${a.name}: ${a.type}`).join(', ')}): ${field.type}`;
    };
    // Fixed names and arguments; optional arguments may be added beside them.
    expect(signature('Mutation', 'createTask')).toBe('createTask(input: CreateTaskInput!): Task!');
    expect(signature('Mutation', 'updateTask')).toBe('updateTask(id: ID!, input: UpdateTaskInput!): Task!');
    expect(signature('Mutation', 'deleteTask')).toMatch(/^deleteTask\(id: ID!(, input: DeleteTaskInput)?\): Task!$/);
    expect(signature('Query', 'task')).toBe('task(id: ID!): Task');
    expect(signature('Query', 'tasks')).toBe('tasks(repository: String!): [Task!]!');
    expect(signature('Query', 'stats')).toBe('stats(): ServerStats!');
    expect(signature('Query', 'connections')).toMatch(/^connections\(.*\): \[Connection!\]!$/);
    expect(signature('Subscription', 'taskEvents')).toMatch(/^taskEvents\(.*repositories: \[String!\]!.*\): TaskEvent!$/);
    expect(signature('Subscription', 'taskEvents')).toContain('after: String');
    expect(signature('Subscription', 'gatewayEvents')).toContain('after: String');
    const sdl = printHeraldSchema();
    expect(sdl).toMatch(/enum TaskEventType \{\s+CREATED\s+DELETED\s+UPDATED\s+\}/);
    const taskEvent = schema.getType('TaskEvent') as GraphQLObjectType;
    expect(Object.keys(taskEvent.getFields())).toEqual(
      expect.arrayContaining(['id', 'type', 'taskId', 'repository', 'task', 'changedBy', 'timestamp', 'sequence', 'cursor']),
    );
  });
});

describe('src/client/generated', () => {
  it('holds what codegen makes from the schema and operations (run `npm run codegen` when this fails)', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const config = (await import('../codegen.js')).default;
    const files = (await generate({ ...config, silent: true }, false)) as Array<{ filename: string; content: string }>;
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(readFileSync(new URL(`../${file.filename}`, import.meta.url), 'utf8'), file.filename).toBe(file.content);
    }
  }, 60_000);
});
