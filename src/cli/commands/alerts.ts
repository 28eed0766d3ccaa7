import { Option } from 'commander';
import { AcknowledgeAlertDocument, AlertsDocument, RaiseAlertDocument, ResolveAlertDocument, type AlertFieldsFragment, type AlertsQueryVariables } from '../../client/index.js';
import { CliError, Exit } from '../exit-codes.js';
import { ago, table, type Colors } from '../output.js';
import type { CliCommand } from './types.js';

const paintSeverity = (severity: string, c: Colors) => (severity === 'CRITICAL' || severity === 'HIGH' ? c.red(severity) : severity === 'MEDIUM' ? c.yellow(severity) : severity);
const describeAlert = (verb: string, a: AlertFieldsFragment, c: Colors) => `${c.green(verb)} ${a.id} ${paintSeverity(a.severity, c)} ${c.bold(a.status)} ${JSON.stringify(a.title)}`;

/** `herald alerts`: list, raise, acknowledge and resolve alerts. */
export const alerts: CliCommand = {
  name: 'alerts',
  register(program, context, action) {
    const command = program.command('alerts').description('list, raise, acknowledge and resolve alerts');
    command
      .command('list', { isDefault: true })
      .description('alerts, newest first')
      .addOption(new Option('--status <status>', 'only these').choices(['OPEN', 'ACKNOWLEDGED', 'RESOLVED']))
      .addOption(new Option('--severity <severity>', 'only these').choices(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']))
      .option('--first <n>', 'at most this many', (v) => Number.parseInt(v, 10))
      .option('--json', 'one JSON object per line')
      .action(
        action(async (options: { status?: string; severity?: string; first?: number; json?: boolean }) => {
          const variables: AlertsQueryVariables = {};
          if (options.status) variables.status = options.status as NonNullable<AlertsQueryVariables['status']>;
          if (options.severity) variables.severity = options.severity as NonNullable<AlertsQueryVariables['severity']>;
          if (options.first) variables.first = options.first;
          const { alerts: list } = await context.client().request(AlertsDocument, variables);
          const { io } = context;
          if (options.json) return list.forEach((a) => io.out(JSON.stringify(a)));
          for (const line of table(
            ['ID', 'SEVERITY', 'STATUS', 'TITLE', 'COUNT', 'RAISED', 'BY'],
            list.map((a) => [a.id, paintSeverity(a.severity, io.color), a.status, a.title, String(a.count), ago(a.lastRaisedAt), a.raisedBy]),
            io.color,
          ))
            io.out(line);
        }),
      );
    command
      .command('raise')
      .description('raise an alert (a repeat with the same --dedup-key while open counts up instead)')
      .argument('<title>')
      .addOption(new Option('--severity <severity>', 'severity').choices(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).makeOptionMandatory())
      .option('--details <json>', 'details as JSON')
      .option('--source <source>', 'where it comes from')
      .option('--dedup-key <key>', 'one open alert per key')
      .option('--json', 'print the alert as JSON')
      .action(
        action(async (title: string, options: { severity: string; details?: string; source?: string; dedupKey?: string; json?: boolean }) => {
          let details: unknown;
          if (options.details !== undefined) {
            try {
              details = JSON.parse(options.details);
            } catch {
              throw new CliError('alerts raise: --details must be JSON', Exit.usage);
            }
          }
          const input = { title, severity: options.severity as never, ...(details !== undefined ? { details } : {}), ...(options.source ? { source: options.source } : {}), ...(options.dedupKey ? { dedupKey: options.dedupKey } : {}) };
          const { raiseAlert } = await context.client().request(RaiseAlertDocument, { input });
          context.io.out(options.json ? JSON.stringify(raiseAlert) : describeAlert('raised', raiseAlert, context.io.color));
        }),
      );
    for (const [name, verb, document] of [
      ['ack', 'acknowledged', AcknowledgeAlertDocument],
      ['resolve', 'resolved', ResolveAlertDocument],
    ] as const) {
      command
        .command(name)
        .description(`${name === 'ack' ? 'acknowledge' : 'resolve'} an alert`)
        .argument('<id>')
        .option('--note <text>', 'a note, kept with the alert')
        .option('--json', 'print the alert as JSON')
        .action(
          action(async (id: string, options: { note?: string; json?: boolean }) => {
            const data = (await context.client().request(document as typeof AcknowledgeAlertDocument, { id, ...(options.note ? { note: options.note } : {}) })) as Record<string, AlertFieldsFragment>;
            const alert = Object.values(data)[0]!;
            context.io.out(options.json ? JSON.stringify(alert) : describeAlert(verb, alert, context.io.color));
          }),
        );
    }
  },
};
