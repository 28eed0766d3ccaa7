import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printHeraldSchema } from '../src/schema/index.js';

describe('schema/schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` when this fails)', () => {
    const checkedIn = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printHeraldSchema());
  });

  it('keeps the public names clients rely on', () => {
    const sdl = printHeraldSchema();
    for (const name of [
      'createTask(input: CreateTaskInput!): Task!',
      'updateTask(id: ID!, input: UpdateTaskInput!): Task!',
      'deleteTask(id: ID!): Task!',
      'task(id: ID!): Task',
      'tasks(repository: String!): [Task!]!',
      'taskEvents(repositories: [String!]!): TaskEvent!',
      'stats: ServerStats!',
      'connections: [Connection!]!',
    ]) {
      expect(sdl).toContain(name);
    }
    expect(sdl).toMatch(/enum TaskEventType \{\s+CREATED\s+DELETED\s+UPDATED\s+\}/);
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
