import { DeployApiRevisionDocument } from '../../client/index.js';
import { table } from '../output.js';
import { Exit } from '../exit-codes.js';
import type { CliCommand } from './types.js';

/** `herald deploy`: a revision of an API to gateways. */
export const deploy: CliCommand = {
  name: 'deploy',
  register(program, context, action) {
    program
      .command('deploy')
      .description('deploy a revision of an API to gateways (exit 1 when a target failed)')
      .argument('<apiId>', 'the API')
      .argument('<revisionId>', 'its revision')
      .requiredOption('--vhost <vhost>', 'the virtual host to serve it on')
      .requiredOption('--gateway <id...>', 'target gateway ids')
      .option('--correlation-id <id>', 'ties the events together; a repeat with the same id deploys once')
      .option('--json', 'print the deployment as JSON')
      .action(
        action(async (apiId: string, revisionId: string, options: { vhost: string; gateway: string[]; correlationId?: string; json?: boolean }) => {
          const { deployApiRevision: d } = await context.client().request(DeployApiRevisionDocument, {
            input: { apiId, revisionId, vhost: options.vhost, gatewayIds: options.gateway, ...(options.correlationId ? { correlationId: options.correlationId } : {}) },
          });
          const { io } = context;
          const c = io.color;
          if (options.json) io.out(JSON.stringify(d));
          else {
            io.out(`${c.bold('deployment')} ${d.id}  ${d.apiId}@${d.revisionId} → ${d.vhost}`);
            const paint = (status: string) => (status === 'DELIVERED' ? c.green(status) : status === 'FAILED' ? c.red(status) : c.yellow(status));
            for (const line of table(['GATEWAY', 'STATUS', 'CONNECTIONS', 'REASON'], d.targets.map((t) => [t.gatewayId, paint(t.status), String(t.connections), t.reason ?? '']), c)) io.out(line);
          }
          return d.targets.some((t) => t.status === 'FAILED') ? Exit.failed : Exit.ok;
        }),
      );
  },
};
