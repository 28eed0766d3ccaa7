import fc from 'fast-check';
import { HeraldError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod/v4';
import { SCOPES } from '../../src/auth/scopes.js';
import { isScope } from '../../src/auth/scope-names.js';
import { channelName } from '../../src/channels/input.js';
import { closeReason } from '../../src/admin/messages.js';
import { connectionsArgs } from '../../src/admin/input.js';
import { createApiKeyInput } from '../../src/auth/input.js';
import { registerCliInput } from '../../src/push/input.js';
import { eventsArgs } from '../../src/events/input.js';
import { LIMITS, REPOSITORY_PATTERN, VERSION_PATTERN } from '../../src/input.js';
import {
  deployApiRevisionInput,
  registerGatewayInput,
  undeployApiInput,
  updateGatewayConfigInput,
} from '../../src/gateways/input.js';
import { PAYLOAD_LIMITS as JSON_LIMITS } from '../../src/events/envelope.js';
import { parseId, parseInput } from '../../src/input.js';
import { createTaskInput, deleteTaskInput, taskEventsArgs, updateTaskInput } from '../../src/tasks/input.js';

/** Asserts over generated values; fast-check would read a matcher's return value as a verdict, so it is dropped. */
const holds = <T>(arbitrary: fc.Arbitrary<T>, assertion: (value: T) => unknown, numRuns?: number) =>
  fc.assert(
    fc.property(arbitrary, (value) => {
      assertion(value);
    }),
    numRuns ? { numRuns } : {},
  );

/** What parseInput threw, or undefined when it parsed. */
function refusal(schema: z.ZodType, value: unknown): HeraldError | undefined {
  try {
    parseInput(schema, value);
    return undefined;
  } catch (err) {
    if (err instanceof HeraldError) return err;
    throw err;
  }
}

const shown = (value: unknown) => {
  try {
    return JSON.stringify(value)?.slice(0, 200);
  } catch {
    return 'a value JSON.stringify cannot take';
  }
};

/** The client-facing contract: BAD_USER_INPUT, naming the field, with a message that starts with it. */
function expectRefused(schema: z.ZodType, value: unknown, field: string, message?: string | RegExp) {
  const err = refusal(schema, value);
  expect(err, `expected ${shown(value)} to be refused`).toBeDefined();
  expect(err!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(err!.message.startsWith(`${field}: `)).toBe(true);
  if (typeof message === 'string') expect(err!.message).toBe(message);
  else if (message) expect(err!.message).toMatch(message);
}

// Arbitraries for values each rule accepts.
const repository = fc.stringMatching(REPOSITORY_PATTERN);
const identifier = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
const key = fc.stringMatching(/^[\x21-\x7e]{1,128}$/);
const host = fc.stringMatching(/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/);
const version = fc.stringMatching(VERSION_PATTERN);
const NAME_CHARS = [...'abcXYZ019 ._:/-', 'é', 'ß', 'Ж', '漢', 'ع', '٣'];
const displayName = fc.array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 100 }).map((cs) => cs.join(''));
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const freeText = (max: number) =>
  fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => s.length <= max && !CONTROL.test(s));
const title = freeText(LIMITS.title).filter((s) => s.trim().length > 0);
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
const priority = fc.constantFrom('LOW', 'NORMAL', 'HIGH', 'CRITICAL');
const status = fc.constantFrom('TODO', 'IN_PROGRESS', 'DONE', 'CANCELLED');
// Far enough from both ends of the window that the clock moving during a run does not matter.
const expiresAt = fc.integer({ min: 60_000, max: LIMITS.expiryMs - 60_000 }).map((ms) => new Date(Date.now() + ms));
const eventFields = { idempotencyKey: fc.option(key), priority: fc.option(priority), expiresAt: fc.option(expiresAt) };
const callbackUrl = fc.webUrl({ withQueryParameters: true }).filter((u) => u.length <= LIMITS.callbackUrl);
const boundedJson = fc.jsonValue({ maxDepth: 8 });

/** `value` with `inserted` put somewhere in it. */
const withInserted = (value: fc.Arbitrary<string>, inserted: fc.Arbitrary<string>) =>
  fc.tuple(value, fc.nat(), inserted).map(([v, at, c]) => v.slice(0, at % (v.length + 1)) + c + v.slice(at % (v.length + 1)));

describe('parseInput', () => {
  it('turns the first problem into BAD_USER_INPUT naming the field, without list positions, dotted when nested', () => {
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'h', gatewayIds: ['ok', 'not ok'] }, 'gatewayIds');
    expectRefused(connectionsArgs, { first: 10, filter: { principalId: 'a\u0000b' } }, 'filter.principalId', 'filter.principalId: must not contain control characters');
    expectRefused(createTaskInput, 'not an object', 'input');
  });

  it('reports fields in the order they were always checked', () => {
    expectRefused(registerCliInput, { clientVersion: 'latest', repositories: [], callbackUrl: '' }, 'clientVersion', 'clientVersion: must be a version like 1.2.3');
    expectRefused(registerCliInput, { clientVersion: '1.0.0', repositories: [], callbackUrl: '' }, 'repositories', 'repositories: must name 1-100 repositories, or "*"');
  });
});

describe('repository names', () => {
  const create = (repository: unknown) => ({ repository, title: 't' });

  it('accepts every name of 1-200 letters, digits, ".", "_", "/" or "-"', () => {
    holds(repository, (name) => expect(parseInput(createTaskInput, create(name)).repository).toBe(name));
  });

  it('refuses any name with a control character, naming the field', () => {
    holds(withInserted(repository, controlChar), (name) => expectRefused(createTaskInput, create(name), 'repository'));
  });

  it('refuses any name with a character outside the alphabet', () => {
    const outside = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !/^[A-Za-z0-9._/-]$/.test(c));
    holds(withInserted(repository, outside), (name) => expectRefused(createTaskInput, create(name), 'repository'));
  });

  it('refuses empty names and names over 200 characters', () => {
    expectRefused(createTaskInput, create(''), 'repository', 'repository: must be 1-200 characters of letters, digits, ".", "_", "/" or "-"');
    holds(fc.stringMatching(/^[A-Za-z0-9._/-]{201,400}$/), (name) => expectRefused(createTaskInput, create(name), 'repository'));
  });

  it('applies the same rule to subscriptions and polling, where "*" also means every repository', () => {
    holds(fc.array(fc.oneof(repository, fc.constant('*')), { minLength: 1, maxLength: 100 }), (repositories) => {
      expect(parseInput(taskEventsArgs(), { repositories })).toEqual({ repositories });
    });
    expectRefused(taskEventsArgs(), { repositories: [] }, 'repositories');
    expectRefused(taskEventsArgs(), { repositories: Array(101).fill('a') }, 'repositories');
    expectRefused(taskEventsArgs(), { repositories: ['ok', 'bad\u0007'] }, 'repositories');
    expectRefused(eventsArgs(), { limit: 10, topics: ['repo:bad name'] }, 'topics', /^topics: must be 1-200 characters/);
  });
});

describe('control characters', () => {
  // Each identifier or single-line field with a valid input around it.
  const cases: Array<[string, z.ZodType, string, fc.Arbitrary<string>, (v: string) => unknown]> = [
    ['task title', createTaskInput, 'title', title.filter((t) => t.length < LIMITS.title), (title) => ({ repository: 'r', title })],
    ['assignee', createTaskInput, 'assignee', freeText(LIMITS.assignee - 1), (assignee) => ({ repository: 'r', title: 't', assignee })],
    ['idempotency key', createTaskInput, 'idempotencyKey', key, (idempotencyKey) => ({ repository: 'r', title: 't', idempotencyKey })],
    ['gateway name', registerGatewayInput, 'name', displayName, (name) => ({ name })],
    ['virtual host', registerGatewayInput, 'vhosts', host, (h) => ({ name: 'g', vhosts: [h] })],
    ['api id', deployApiRevisionInput, 'apiId', identifier, (apiId) => ({ apiId, revisionId: 'r', vhost: 'h', gatewayIds: ['g'] })],
    ['correlation id', undeployApiInput, 'correlationId', key, (correlationId) => ({ apiId: 'a', gatewayIds: ['g'], correlationId })],
    ['gateway id', updateGatewayConfigInput, 'gatewayId', identifier, (gatewayId) => ({ gatewayId, config: {} })],
    ['API key name', createApiKeyInput, 'name', displayName, (name) => ({ name, scopes: [] })],
    ['CLI version', registerCliInput, 'clientVersion', version, (clientVersion) => ({ clientVersion, repositories: ['r'], callbackUrl: 'http://127.0.0.1/' })],
    ['callback URL', registerCliInput, 'callbackUrl', callbackUrl, (url) => ({ clientVersion: '1.0.0', repositories: ['r'], callbackUrl: url })],
    ['connection filter', connectionsArgs, 'filter.clientName', freeText(LIMITS.clientName - 1), (clientName) => ({ first: 1, filter: { clientName } })],
  ];

  it.each(cases)('are refused in a %s', (_what, schema, field, valid, wrap) => {
    holds(valid, (v) => expect(refusal(schema, wrap(v))).toBeUndefined());
    holds(withInserted(valid, controlChar), (v) => expectRefused(schema, wrap(v), field));
  });

  it('are refused in an ID argument', () => {
    const refusedId = (id: string) => {
      try {
        parseId(id, 'id');
      } catch (err) {
        return err as HeraldError;
      }
      return undefined;
    };
    holds(identifier, (id) => expect(parseId(id, 'id')).toBe(id));
    holds(withInserted(identifier, controlChar), (id) => {
      const err = refusedId(id);
      expect(err?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
      expect(err!.message.startsWith('id: ')).toBe(true);
    });
  });

  it('are refused in a description, except tab and line breaks', () => {
    const task = (description: string) => ({ repository: 'r', title: 't', description });
    expect(parseInput(createTaskInput, task('line one\r\nline two\tand a tab')).description).toBe('line one\r\nline two\tand a tab');
    const notLineBreak = controlChar.filter((c) => !'\t\n\r'.includes(c));
    holds(withInserted(freeText(100), notLineBreak), (d) => expectRefused(createTaskInput, task(d), 'description', 'description: must not contain control characters'));
  });
});

describe('lengths and shapes', () => {
  it('keeps the task limits: title 1-500, description 10 000, assignee 200', () => {
    expect(parseInput(createTaskInput, { repository: 'r', title: 't'.repeat(500) }).title).toHaveLength(500);
    expectRefused(createTaskInput, { repository: 'r', title: 't'.repeat(501) }, 'title', 'title: must be 1-500 characters');
    expectRefused(createTaskInput, { repository: 'r', title: '   ' }, 'title', 'title: must be 1-500 characters');
    expectRefused(createTaskInput, { repository: 'r', title: 't', description: 'd'.repeat(10_001) }, 'description', 'description: must be at most 10000 characters');
    expectRefused(createTaskInput, { repository: 'r', title: 't', assignee: 'a'.repeat(201) }, 'assignee', 'assignee: must be at most 200 characters');
  });

  it('refuses clearing a title or a status, and allows clearing a description or an assignee', () => {
    expectRefused(updateTaskInput, { title: null }, 'title', 'title: cannot be cleared');
    expectRefused(updateTaskInput, { status: null }, 'status', 'status: cannot be cleared');
    expect(parseInput(updateTaskInput, { description: null, assignee: null })).toStrictEqual({ description: null, assignee: null });
    expect(parseInput(updateTaskInput, {})).toStrictEqual({});
  });

  it('bounds expiry to the coming year', () => {
    expectRefused(createTaskInput, { repository: 'r', title: 't', expiresAt: new Date(Date.now() - 1000) }, 'expiresAt', 'expiresAt: must be in the future, at most a year ahead');
    expectRefused(createTaskInput, { repository: 'r', title: 't', expiresAt: new Date(Date.now() + LIMITS.expiryMs + 60_000) }, 'expiresAt');
  });

  it('bounds page sizes to 1-1000', () => {
    holds(fc.integer({ min: 1, max: 1000 }), (first) => expect(parseInput(connectionsArgs, { first }).first).toBe(first));
    holds(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1001 })), (first) => expectRefused(connectionsArgs, { first }, 'first', 'first: must be 1-1000'));
    expectRefused(eventsArgs(), { limit: null, topics: ['repo:a'] }, 'limit', 'limit: must be 1-1000');
  });

  it('counts gateways before repeats are removed', () => {
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'h', gatewayIds: [] }, 'gatewayIds', 'gatewayIds: must name 1-1000 gateways');
    expectRefused(undeployApiInput, { apiId: 'a', gatewayIds: Array(1001).fill('g') }, 'gatewayIds', 'gatewayIds: must name 1-1000 gateways');
  });

  it('names every unknown scope at once', () => {
    expectRefused(createApiKeyInput, { name: 'k', scopes: ['tasks:read', 'root', 'god'] }, 'scopes', /^scopes: unknown scope\(s\): root, god; known: tasks:read, /);
  });

  it('parses topics into what the poller asked for', () => {
    expect(parseInput(eventsArgs(), { limit: 5, topics: ['repo:org/app', 'repo:*', 'gateway:01ABC', 'channel:threats', 'channel:*'] })).toEqual({
      limit: 5,
      topics: [
        { family: 'repo', name: 'org/app' },
        { family: 'repo', name: '*' },
        { family: 'gateway', name: '01ABC' },
        { family: 'channel', name: 'threats' },
        { family: 'channel', name: '*' },
      ],
    });
    const rule = 'is not a topic (repo:<name>, repo:*, gateway:<id>, channel:<name> or channel:*)';
    expectRefused(eventsArgs(), { limit: 5, topics: ['channel:Threats'] }, 'topics', `topics: "channel:Threats" ${rule}`);
    expectRefused(eventsArgs(), { limit: 5, topics: ['cli:01ABC'] }, 'topics', `topics: "cli:01ABC" ${rule}`);
    expectRefused(eventsArgs(), { limit: 5, topics: [] }, 'topics', 'topics: must name 1-100 topics');
  });

  it('takes a channel name alike wherever one is named: topic reads, channel definitions, channel scopes', () => {
    const topicAccepts = (name: string) => eventsArgs().safeParse({ limit: 1, topics: [`channel:${name}`] }).success;
    const definitionAccepts = (name: string) => channelName.safeParse(name).success;
    const scopeAccepts = (name: string) => isScope(`channel:${name}:read`);
    const agree = (name: string) => {
      const verdicts = [topicAccepts(name), definitionAccepts(name), scopeAccepts(name)];
      expect(verdicts, name).toEqual(verdicts.map(() => verdicts[0]));
      return verdicts[0];
    };
    expect(['a', '0', 'threats.v2', 'a_b-c', 'a'.repeat(64)].map(agree)).toEqual([true, true, true, true, true]);
    expect(['', 'A', '.a', '-a', 'a b', 'a:b', 'a'.repeat(65)].map(agree)).toEqual([false, false, false, false, false, false, false]);
    holds(fc.stringMatching(/^[a-zA-Z0-9._: -]{0,70}$/), agree, 300);
  });

  it('checks the REST deploy body with the same rules, saying what type a field must be', () => {
    expectRefused(deployApiRevisionInput, { apiId: 'a', vhost: 'h', gatewayIds: ['g'] }, 'revisionId', 'revisionId: must be a string');
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 7, gatewayIds: ['g'] }, 'vhost', 'vhost: must be a string');
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'h', gatewayIds: 'g' }, 'gatewayIds', 'gatewayIds: must be a list of strings');
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'h', gatewayIds: [1] }, 'gatewayIds', 'gatewayIds: must be a list of strings');
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'h', gatewayIds: ['g'], correlationId: 5 }, 'correlationId', 'correlationId: must be a string');
    expectRefused(deployApiRevisionInput, { apiId: 'a', revisionId: 'r', vhost: 'not a host', gatewayIds: ['g'] }, 'vhost', 'vhost: "not a host" is not a host name');
  });
});

describe('JSON values', () => {
  const config = (value: unknown) => ({ gatewayId: 'g', config: value });
  /** Containers nested `depth` deep, objects and lists taking turns; built without recursion so any depth is cheap. */
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
    return value;
  };

  it(`accepts any value nested at most ${JSON_LIMITS.maxDepth} deep and passes it on as it is`, () => {
    holds(boundedJson, (value) => expect(parseInput(updateGatewayConfigInput, config(value)).config).toBe(value));
    holds(fc.integer({ min: 0, max: JSON_LIMITS.maxDepth }), (depth) => expect(refusal(updateGatewayConfigInput, config(nested(depth)))).toBeUndefined());
  });

  it('refuses any value nested deeper, however deep, naming the field', () => {
    const deeper = fc.integer({ min: JSON_LIMITS.maxDepth + 1, max: 200_000 });
    const message = `config: must nest at most ${JSON_LIMITS.maxDepth} levels of objects and lists`;
    holds(deeper, (depth) => expectRefused(updateGatewayConfigInput, config(nested(depth)), 'config', message), 30);
  });

  it(`refuses values over ${JSON_LIMITS.maxBytes} bytes as JSON`, () => {
    const string = (bytes: number) => 'x'.repeat(bytes - 2); // the quotes count
    expect(refusal(updateGatewayConfigInput, config(string(JSON_LIMITS.maxBytes)))).toBeUndefined();
    expectRefused(updateGatewayConfigInput, config(string(JSON_LIMITS.maxBytes + 1)), 'config', `config: must be at most ${JSON_LIMITS.maxBytes} bytes as JSON`);
    // Bytes, not characters: "é" is two bytes of UTF-8.
    holds(
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 50_000 })),
      ([parts, extra]) => {
        const part = 'é'.repeat(Math.ceil((JSON_LIMITS.maxBytes + extra) / 2 / parts));
        expectRefused(updateGatewayConfigInput, config(Array(parts).fill(part)), 'config');
      },
      10,
    );
  });

  it('refuses what JSON cannot carry', () => {
    for (const value of [undefined, Number.NaN, Infinity, () => 1, { a: [1, undefined] }]) expectRefused(updateGatewayConfigInput, config(value), 'config');
  });
});

describe('valid inputs of every type parse to the same value', () => {
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
  const inputs: Array<[string, z.ZodType, fc.Arbitrary<unknown>]> = [
    [
      'CreateTaskInput',
      createTaskInput,
      fc.record(
        { repository, title, description: optional(freeText(300)), status: optional(status), assignee: optional(freeText(LIMITS.assignee)), ...eventFields },
        { requiredKeys: ['repository', 'title'] },
      ),
    ],
    [
      'UpdateTaskInput',
      updateTaskInput,
      fc.record({ title, description: optional(freeText(300)), status, assignee: optional(freeText(LIMITS.assignee)), ...eventFields }, { requiredKeys: [] }),
    ],
    ['DeleteTaskInput', deleteTaskInput, fc.record(eventFields, { requiredKeys: [] })],
    ['RegisterGatewayInput', registerGatewayInput, fc.record({ name: displayName, vhosts: optional(fc.array(host, { maxLength: 100 })) }, { requiredKeys: ['name'] })],
    [
      'DeployApiRevisionInput',
      deployApiRevisionInput,
      fc.record(
        { apiId: identifier, revisionId: identifier, vhost: host, gatewayIds: fc.array(identifier, { minLength: 1, maxLength: 20 }), correlationId: optional(key) },
        { requiredKeys: ['apiId', 'revisionId', 'vhost', 'gatewayIds'] },
      ),
    ],
    [
      'UndeployApiInput',
      undeployApiInput,
      fc.record({ apiId: identifier, gatewayIds: fc.array(identifier, { minLength: 1, maxLength: 20 }), correlationId: optional(key) }, { requiredKeys: ['apiId', 'gatewayIds'] }),
    ],
    ['UpdateGatewayConfigInput', updateGatewayConfigInput, fc.record({ gatewayId: identifier, config: boundedJson, correlationId: optional(key) }, { requiredKeys: ['gatewayId', 'config'] })],
    ['CreateApiKeyInput', createApiKeyInput, fc.record({ name: displayName, scopes: fc.subarray([...SCOPES]) })],
    [
      'RegisterCliInput',
      registerCliInput,
      fc.record(
        { clientVersion: version, repositories: fc.array(fc.oneof(repository, fc.constant('*')), { minLength: 1, maxLength: 100 }), name: optional(displayName), callbackUrl },
        { requiredKeys: ['clientVersion', 'repositories', 'callbackUrl'] },
      ),
    ],
    [
      'connections(filter, first, after)',
      connectionsArgs,
      fc.record(
        {
          first: fc.integer({ min: 1, max: 1000 }),
          after: optional(identifier),
          filter: optional(
            fc.record(
              { kind: optional(fc.constantFrom('admin', 'anonymous', 'gateway', 'service', 'user')), principalId: optional(freeText(LIMITS.principalId)), clientName: optional(freeText(LIMITS.clientName)) },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: ['first'] },
      ),
    ],
  ];

  it.each(inputs)('%s', (_name, schema, input) => {
    holds(input, (value) => expect(parseInput(schema, value)).toStrictEqual(value));
  });
});

describe('the reason a disconnected client reads', () => {
  it('fits a close frame whatever the operator typed, and keeps whole characters', () => {
    holds(fc.option(fc.string({ unit: 'grapheme', maxLength: 300 })), (reason) => {
        const text = closeReason(reason);
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(123);
        expect(text.startsWith('Disconnected by an administrator')).toBe(true);
        expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      });
    expect(closeReason('maintenance')).toBe('Disconnected by an administrator: maintenance');
    expect(closeReason(null)).toBe('Disconnected by an administrator');
  });
});
