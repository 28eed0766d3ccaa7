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
