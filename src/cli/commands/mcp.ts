import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod/v4';
import {
  AcknowledgeAlertDocument,
  CreateTaskDocument,
  PublishEventDocument,
  RaiseAlertDocument,
  DeleteTaskDocument,
  EventsDocument,
  HeraldClientError,
  StatsDocument,
  TasksDocument,
  UpdateTaskDocument,
  type EventFieldsFragment,
  type HeraldClient,
} from '../../client/index.js';
import { VERSION } from '../context.js';
import { Exit } from '../exit-codes.js';
import type { CliCommand } from './types.js';

const status = z.enum(['TODO', 'IN_PROGRESS', 'DONE', 'CANCELLED']);
const priority = z.enum(['LOW', 'NORMAL', 'HIGH', 'CRITICAL']);

/**
 * The tools `herald mcp` offers an agent. Each goes through the GraphQL API
 * with the configured token, so its changes publish events to every
 * subscriber like any client's, under the same authorization and rate
 * limits.
 */
type Tool = {
  readonly description: string;
  readonly input: z.ZodRawShape;
  run(client: HeraldClient, args: Record<string, unknown>): Promise<unknown>;
};

const defined = (args: Record<string, unknown>, names: string[]) => Object.fromEntries(names.filter((n) => args[n] !== undefined).map((n) => [n, args[n]]));

export const MCP_TOOLS: Readonly<Record<string, Tool>> = {
  list_tasks: {
    description: 'List the tasks of a repository.',
    input: { repository: z.string().describe('repository name, e.g. "demo"') },
    run: async (client, args) => (await client.request(TasksDocument, { repository: String(args.repository) })).tasks,
  },
  create_task: {
    description: 'Create a task in a repository; every subscriber of the repository gets a CREATED event.',
    input: {
      repository: z.string(),
      title: z.string(),
      description: z.string().optional(),
      status: status.optional(),
      assignee: z.string().optional(),
      priority: priority.optional().describe('priority of the event (default NORMAL)'),
    },
    run: async (client, args) =>
      (await client.request(CreateTaskDocument, { input: defined(args, ['repository', 'title', 'description', 'status', 'assignee', 'priority']) as never })).createTask,
  },
  update_task: {
    description: 'Change fields of a task (omitted fields stay); subscribers get an UPDATED event.',
    input: { id: z.string(), title: z.string().optional(), description: z.string().optional(), status: status.optional(), assignee: z.string().optional(), priority: priority.optional() },
    run: async (client, args) =>
      (await client.request(UpdateTaskDocument, { id: String(args.id), input: defined(args, ['title', 'description', 'status', 'assignee', 'priority']) as never })).updateTask,
  },
  delete_task: {
    description: 'Delete a task; subscribers get a DELETED event. Returns the task as it was.',
    input: { id: z.string() },
    run: async (client, args) => (await client.request(DeleteTaskDocument, { id: String(args.id) })).deleteTask,
  },
  publish_event: {
    description: 'Publish an event on a channel (e.g. "threats", "system"); every subscriber of the channel gets it.',
    input: {
      channel: z.string(),
      type: z.string().describe('the event type, e.g. "threat.detected"'),
      payload: z.record(z.string(), z.unknown()).describe('the event data, a JSON object'),
      priority: priority.optional(),
      source: z.string().optional().describe('who publishes, as consumers should see it'),
    },
    run: async (client, args) => (await client.request(PublishEventDocument, { input: defined(args, ['channel', 'type', 'payload', 'priority', 'source']) as never })).publishEvent,
  },
  raise_alert: {
    description: 'Raise an alert; it is published on its channel (default "alerts") for every subscriber. A repeat with the same dedupKey while open counts up.',
    input: {
      title: z.string(),
      severity: z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
      details: z.record(z.string(), z.unknown()).optional(),
      source: z.string().optional(),
      dedupKey: z.string().optional(),
    },
    run: async (client, args) => (await client.request(RaiseAlertDocument, { input: defined(args, ['title', 'severity', 'details', 'source', 'dedupKey']) as never })).raiseAlert,
  },
  acknowledge_alert: {
    description: 'Acknowledge an open alert, with an optional note.',
    input: { id: z.string(), note: z.string().optional() },
    run: async (client, args) => (await client.request(AcknowledgeAlertDocument, { id: String(args.id), ...(typeof args.note === 'string' ? { note: args.note } : {}) })).acknowledgeAlert,
  },
  read_stats: {
    description: 'Server and cluster counters: connections, subscriptions, events published and delivered, pushes, gateways.',
    input: {},
    run: async (client) => (await client.request(StatsDocument)).stats,
  },
  recent_events: {
    description: 'The most recent retained events of a topic ("repo:<name>", "channel:<name>" or "gateway:<id>"), oldest first, with a cursor to ask for newer ones later (after).',
    input: {
      topic: z.string().describe('"repo:<name>", "repo:*", "channel:<name>" or "gateway:<id>"'),
      limit: z.number().int().min(1).max(100).optional().describe('how many (default 20)'),
      after: z.string().optional().describe('only events after this cursor (from an earlier answer)'),
    },
    async run(client, args) {
      const limit = typeof args.limit === 'number' ? args.limit : 20;
      let after = typeof args.after === 'string' ? args.after : null;
      let kept: EventFieldsFragment[] = [];
      // The log reads oldest first: page through and keep the newest `limit`.
      for (let page = 0; page < 50; page++) {
        const { events } = await client.request(EventsDocument, { topics: [String(args.topic)], after, limit: 100 });
        kept = [...kept, ...events.events].slice(-limit);
        after = events.cursor ?? after;
        if (!events.hasMore) break;
      }
      return { events: kept, cursor: after };
    },
  },
};

export const mcp: CliCommand = {
  name: 'mcp',
  register(program, context, action) {
    program
      .command('mcp')
      .description(`a Model Context Protocol server over stdio with Herald's tools for an agent: ${Object.keys(MCP_TOOLS).join(', ')}`)
      .action(
        action(async () => {
          const client = context.client();
          const server = new McpServer({ name: 'herald', version: VERSION });
          for (const [name, tool] of Object.entries(MCP_TOOLS)) {
            server.registerTool(name, { description: tool.description, inputSchema: tool.input }, async (args: Record<string, unknown>) => {
              try {
                const result = await tool.run(client, args);
                return { content: [{ type: 'text' as const, text: JSON.stringify(result, null, 2) }] };
              } catch (err) {
                const message = err instanceof HeraldClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
                return { content: [{ type: 'text' as const, text: message }], isError: true };
              }
            });
          }
          const transport = new StdioServerTransport();
          const closed = new Promise<number>((resolve) => {
            transport.onclose = () => resolve(Exit.ok);
            process.stdin.once('end', () => resolve(Exit.ok));
          });
          await server.connect(transport);
          context.io.err(context.io.errColor.dim(`herald mcp: serving ${Object.keys(MCP_TOOLS).length} tools for ${context.config().url} on stdio`));
          const code = await closed;
          await server.close().catch(() => {});
          return code;
        }),
      );
  },
};
