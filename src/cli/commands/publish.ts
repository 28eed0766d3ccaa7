import { createInterface } from 'node:readline';
import { Option } from 'commander';
import {
  CreateTaskDocument,
  DeleteTaskDocument,
  HeraldClientError,
  PublishEventDocument,
  UpdateTaskDocument,
  type ChannelEventFieldsFragment,
  type HeraldClient,
  type TaskFieldsFragment,
} from '../../client/index.js';
import { CliError, Exit, exitCodeOf } from '../exit-codes.js';
import type { Colors } from '../output.js';
import type { CliCommand } from './types.js';

type Fields = Record<string, unknown>;

/**
 * What `herald publish` can do, by name: as a subcommand and as the `op` of a
 * batch line. Each answers with what it changed: a task, or a channel event.
 */
type Published = { task: TaskFieldsFragment } | { event: ChannelEventFieldsFragment };
type PublishOp = { run(client: HeraldClient, fields: Fields): Promise<Published> };

const EVENT_FIELDS = ['priority', 'idempotencyKey', 'expiresAt', 'ttlSeconds', 'source', 'correlationId', 'schemaVersion'] as const;

const TASK_FIELDS = ['title', 'description', 'status', 'assignee', 'priority', 'idempotencyKey', 'expiresAt'] as const;

const pick = (fields: Fields, names: readonly string[]) => Object.fromEntries(names.filter((n) => fields[n] !== undefined).map((n) => [n, fields[n]]));
const text = (fields: Fields, name: string, op: string): string => {
  const value = fields[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`${op}: "${name}" is required`, Exit.usage);
  return value;
};

export const PUBLISH_OPS: Readonly<Record<string, PublishOp>> = {
  create: {
    async run(client, fields) {
      const input = { repository: text(fields, 'repository', 'create'), title: text(fields, 'title', 'create'), ...pick(fields, TASK_FIELDS) } as never;
      return { task: (await client.request(CreateTaskDocument, { input })).createTask };
    },
  },
  update: {
    async run(client, fields) {
      const input = pick(fields, TASK_FIELDS) as never;
      if (Object.keys(input).length === 0) throw new CliError('update: name at least one field to change', Exit.usage);
      return { task: (await client.request(UpdateTaskDocument, { id: text(fields, 'id', 'update'), input })).updateTask };
    },
  },
  delete: {
    async run(client, fields) {
      const input = pick(fields, ['priority', 'idempotencyKey', 'expiresAt']);
      return { task: (await client.request(DeleteTaskDocument, { id: text(fields, 'id', 'delete'), ...(Object.keys(input).length ? { input: input as never } : {}) })).deleteTask };
    },
  },
  event: {
    async run(client, fields) {
      const input = { channel: text(fields, 'channel', 'event'), type: text(fields, 'type', 'event'), payload: fields.payload ?? {}, ...pick(fields, EVENT_FIELDS) } as never;
      return { event: (await client.request(PublishEventDocument, { input })).publishEvent };
    },
  },
};

const describeEvent = (e: ChannelEventFieldsFragment, c: Colors) => `${c.green('published')} ${e.id} ${c.cyan(e.channel)} #${e.sequence} ${e.type} ${e.priority}`;

const describe = (op: string, result: Published, c: Colors) => ('task' in result ? describeTask(op, result.task, c) : describeEvent(result.event, c));

const describeTask = (op: string, task: TaskFieldsFragment, c: Colors) =>
  `${c.green(`${op}d`)} ${task.id} ${c.cyan(task.repository)} ${JSON.stringify(task.title)} ${c.bold(task.status)}${task.assignee ? ` @${task.assignee}` : ''}`;

type TaskFlags = { description?: string; status?: string; assignee?: string; priority?: string; idempotencyKey?: string; title?: string; json?: boolean };

const taskOptions = (command: import('commander').Command) =>
  command
    .option('--description <text>', 'description')
    .addOption(new Option('--status <status>', 'status').choices(['TODO', 'IN_PROGRESS', 'DONE', 'CANCELLED']))
    .option('--assignee <name>', 'assignee')
    .addOption(new Option('--priority <priority>', 'priority of the event').choices(['LOW', 'NORMAL', 'HIGH', 'CRITICAL']))
    .option('--idempotency-key <key>', 'a repeat with the same key publishes once')
    .option('--json', 'print the task as JSON');

export const publish: CliCommand = {
  name: 'publish',
  register(program, context, action) {
    const command = program.command('publish').description('create, update or delete tasks, or publish a channel event (each reaches every subscriber), one at a time or a batch from stdin');
    const one = (op: string) =>
      action(async (fields: Fields, flags: TaskFlags) => {
        const result = await PUBLISH_OPS[op]!.run(context.client(), fields);
        context.io.out(flags.json ? JSON.stringify('task' in result ? result.task : result.event) : describe(op, result, context.io.color));
      });
    taskOptions(command.command('create').description('create a task').argument('<repository>').argument('<title>')).action(
      (repository: string, title: string, flags: TaskFlags) => one('create')({ repository, title, ...flags }, flags),
    );
    taskOptions(command.command('update').description('change fields of a task').argument('<id>').option('--title <title>', 'title')).action((id: string, flags: TaskFlags) =>
      one('update')({ id, ...flags, json: undefined }, flags),
    );
    command
      .command('delete')
      .description('delete a task')
      .argument('<id>')
      .option('--json', 'print the deleted task as JSON')
      .action((id: string, flags: TaskFlags) => one('delete')({ id }, flags));
    command
      .command('event')
      .description('publish an event on a channel')
      .argument('<channel>')
      .argument('<type>', 'its type, e.g. threat.detected')
      .argument('[payload]', 'the payload as JSON (default {})')
      .addOption(new Option('--priority <priority>', 'priority (default: the channel\'s)').choices(['LOW', 'NORMAL', 'HIGH', 'CRITICAL']))
      .option('--source <source>', 'who publishes, as consumers should see it')
      .option('--idempotency-key <key>', 'a repeat with the same key publishes once')
      .option('--correlation-id <id>', 'ties related events together')
      .option('--ttl-seconds <n>', 'skipped by catch-up after this long', (v) => Number.parseInt(v, 10))
      .option('--json', 'print the event as JSON')
      .action(
        action(async (channel: string, type: string, payload: string | undefined, flags: TaskFlags & Fields) => {
          let parsed: unknown = {};
          if (payload !== undefined) {
            try {
              parsed = JSON.parse(payload);
            } catch {
              throw new CliError(`publish event: the payload must be JSON, e.g. '{"ip":"203.0.113.9"}'`, Exit.usage);
            }
          }
          const result = await PUBLISH_OPS.event!.run(context.client(), { ...flags, channel, type, payload: parsed });
          context.io.out(flags.json ? JSON.stringify('event' in result ? result.event : result.task) : describe('event', result, context.io.color));
        }),
      );
    command
      .command('batch')
      .description('read JSON lines from stdin, one change each: {"op":"create","repository":"demo","title":"..."}, {"op":"update","id":"...","status":"DONE"}, {"op":"delete","id":"..."}, {"op":"event","channel":"threats","type":"...","payload":{...}}; print one JSON result per line; exit 1 if any failed')
      .option('--stop-on-error', 'stop at the first line that fails')
      .action(
        action(async (options: { stopOnError?: boolean }) => {
          const client = context.client();
          const { io } = context;
          let failed = 0;
          let number = 0;
          for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
            number++;
            if (line.trim() === '') continue;
            let fields: Fields;
            try {
              const parsed = JSON.parse(line) as unknown;
              if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
              fields = parsed as Fields;
            } catch {
              failed++;
              io.out(JSON.stringify({ line: number, ok: false, error: { code: 'BAD_LINE', message: 'not a JSON object' } }));
              if (options.stopOnError) break;
              continue;
            }
            const op = PUBLISH_OPS[String(fields.op)];
            if (!op) {
              failed++;
              io.out(JSON.stringify({ line: number, ok: false, error: { code: 'BAD_LINE', message: `"op" must be one of ${Object.keys(PUBLISH_OPS).join(', ')}` } }));
              if (options.stopOnError) break;
              continue;
            }
            try {
              const result = await op.run(client, fields);
              io.out(JSON.stringify({ line: number, ok: true, op: fields.op, ...result }));
            } catch (err) {
              const code = exitCodeOf(err);
              // The server is gone or the credentials are refused: the next lines would fail alike.
              if (code === Exit.unreachable || code === Exit.unauthenticated) throw err;
              failed++;
              io.out(JSON.stringify({ line: number, ok: false, error: { code: err instanceof HeraldClientError ? err.code : 'BAD_LINE', message: err instanceof Error ? err.message : String(err) } }));
              if (options.stopOnError) break;
            }
          }
          if (failed > 0) io.err(`herald: ${failed} of ${number} lines failed`);
          return failed > 0 ? Exit.failed : Exit.ok;
        }),
      );
  },
};
