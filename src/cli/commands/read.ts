import { Option } from 'commander';
import { ConnectionsDocument, GatewaysDocument, StatsDocument, type ConnectionsQueryVariables } from '../../client/index.js';
import { ago, table } from '../output.js';
import type { CliCommand } from './types.js';

/** `herald stats`: the answering instance and the cluster. */
export const stats: CliCommand = {
  name: 'stats',
  register(program, context, action) {
    program
      .command('stats')
      .description('server and cluster counters: connections, subscriptions, events, pushes')
      .option('--json', 'print the stats as one JSON object')
      .action(
        action(async (options: { json?: boolean }) => {
          const { stats: s } = await context.client().request(StatsDocument);
          const { io } = context;
          if (options.json) return io.out(JSON.stringify(s));
          const c = io.color;
          io.out(`${c.bold('instance')} ${s.instanceId}  ${c.dim(s.mode.toLowerCase())}  up ${Math.round(s.uptimeSeconds)}s`);
          io.out(`${c.bold('connections')} ${s.connections}  ${c.bold('subscriptions')} ${s.subscriptions}  ${c.bold('events')} ${s.eventsPublished} published, ${s.eventsDelivered} delivered  ${c.bold('slow consumers dropped')} ${s.slowConsumerDisconnects}`);
          io.out(`${c.bold('gateways')} ${s.gateways.gateways}  ${s.gateways.eventsSent} events sent, ${s.gateways.failedDeliveries} failed`);
          const rate = s.push.successRate === null ? '-' : `${(s.push.successRate * 100).toFixed(1)} %`;
          io.out(`${c.bold('push')} ${s.push.endpoints} endpoints  ${s.push.delivered} delivered, ${s.push.failed} failed (${rate})${s.push.pushing ? '  this instance pushes' : ''}`);
          io.out('');
          for (const line of table(
            ['INSTANCE', 'MODE', 'UP', 'CONNECTIONS', 'SUBSCRIPTIONS', 'PUBLISHED', 'DELIVERED', 'REPORTED'],
            s.cluster.instances.map((i) => [i.instanceId, i.mode.toLowerCase(), `${Math.round(i.uptimeSeconds)}s`, String(i.connections), String(i.subscriptions), String(i.eventsPublished), String(i.eventsDelivered), ago(i.reportedAt)]),
            c,
          ))
            io.out(line);
          io.out(c.dim(`cluster: ${s.cluster.connections} connections, ${s.cluster.subscriptions} subscriptions, ${s.cluster.eventsPublished} published, ${s.cluster.eventsDelivered} delivered`));
        }),
      );
  },
};

/** `herald connections`: who is connected, on every instance. */
export const connections: CliCommand = {
  name: 'connections',
  register(program, context, action) {
    program
      .command('connections')
      .description('open WebSocket connections of every instance, oldest first')
      .option('--client-name <name>', 'only clients that call themselves this')
      .addOption(new Option('--kind <kind>', 'only this kind of principal').choices(['admin', 'anonymous', 'gateway', 'service', 'user']))
      .option('--principal <id>', 'only this principal')
      .option('--first <n>', 'at most this many (default 100)', (v) => Number.parseInt(v, 10))
      .option('--json', 'one JSON object per line')
      .action(
        action(async (options: { clientName?: string; kind?: string; principal?: string; first?: number; json?: boolean }) => {
          const filter: NonNullable<ConnectionsQueryVariables['filter']> = {};
          if (options.clientName) filter.clientName = options.clientName;
          if (options.kind) filter.kind = options.kind as NonNullable<typeof filter.kind>;
          if (options.principal) filter.principalId = options.principal;
          const { connections: list } = await context.client().request(ConnectionsDocument, { filter, ...(options.first ? { first: options.first } : {}) });
          const { io } = context;
          if (options.json) return list.forEach((c) => io.out(JSON.stringify(c)));
          for (const line of table(
            ['ID', 'INSTANCE', 'PRINCIPAL', 'CLIENT', 'SUBS', 'SENT', 'RTT', 'CONNECTED', 'ADDRESS'],
            list.map((c) => [
              c.id,
              c.instanceId,
              `${c.principalKind ?? '-'}${c.principalId ? `:${c.principalId}` : ''}`,
              [c.clientName, c.clientVersion].filter(Boolean).join(' ') || '-',
              String(c.subscriptions),
              String(c.eventsSent),
              c.heartbeatRttMs === null ? '-' : `${c.heartbeatRttMs}ms`,
              ago(c.connectedAt),
              c.remoteAddress,
            ]),
            io.color,
          ))
            io.out(line);
          io.err(io.errColor.dim(`${list.length} connection${list.length === 1 ? '' : 's'}`));
        }),
      );
  },
};

/** `herald gateways`: registered gateways and how their events fared. */
export const gateways: CliCommand = {
  name: 'gateways',
  register(program, context, action) {
    program
      .command('gateways')
      .description('registered API gateways, whether they are connected, and their deliveries')
      .option('--json', 'one JSON object per line')
      .action(
        action(async (options: { json?: boolean }) => {
          const { gateways: list } = await context.client().request(GatewaysDocument);
          const { io } = context;
          if (options.json) return list.forEach((g) => io.out(JSON.stringify(g)));
          const c = io.color;
          for (const line of table(
            ['ID', 'NAME', 'CONNECTED', 'VHOSTS', 'SENT', 'FAILED', 'LAST FAILURE'],
            list.map((g) => [
              g.id,
              g.name,
              g.connected ? c.green('yes') : c.yellow('no'),
              g.vhosts.join(',') || '-',
              String(g.delivery.eventsSent),
              String(g.delivery.failedDeliveries),
              g.delivery.lastFailureReason ? `${g.delivery.lastFailureReason} (${ago(g.delivery.lastFailureAt)})` : '-',
            ]),
            c,
          ))
            io.out(line);
        }),
      );
  },
};
