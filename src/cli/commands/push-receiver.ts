import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { CliNotificationsDocument, DeliveriesDocument, DeregisterCliDocument, EventsCursorDocument, RegisterCliDocument } from '../../client/index.js';
import { VERSION } from '../context.js';
import { CliError, describeError, Exit, exitCodeOf } from '../exit-codes.js';
import { clock, table, type Colors } from '../output.js';
import type { CliCommand } from './types.js';

/**
 * Checks a delivery as docs/push.md describes: `X-Herald-Signature` is
 * `sha256=` the HMAC-SHA256 with the registration's secret over
 * `<X-Herald-Timestamp>.<raw body>`, and the timestamp is within `maxSkewSeconds`
 * of now (no replays of old deliveries). Written here rather than imported:
 * the CLI uses no server code.
 */
export function checkDelivery(secret: string, headers: { timestamp?: string; signature?: string }, body: string, maxSkewSeconds: number, now = Date.now()): string | undefined {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return 'unsigned (no X-Herald-Timestamp or X-Herald-Signature)';
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds)) return 'X-Herald-Timestamp is not a number';
  if (Math.abs(now / 1000 - seconds) > maxSkewSeconds) return `timestamp ${Math.round(now / 1000 - seconds)}s off (more than ${maxSkewSeconds}s: a replay?)`;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad signature';
  return undefined;
}

type Envelope = { id: string; type: string; topic: string; sequence: number; timestamp: string; payload?: { task?: { title?: string; status?: string }; taskId?: string } };

const describeEvent = (e: Envelope, via: string, c: Colors) => {
  const task = e.payload?.task;
  const detail = task ? ` ${JSON.stringify(task.title)} ${c.bold(task.status ?? '')}` : '';
  return `${c.dim(clock(e.timestamp))} ${c.cyan(e.topic)} ${c.dim(`#${e.sequence}`)} ${c.green(e.type)}${detail} ${c.dim(`(${via})`)}`;
};

type Options = { repo: string[]; port: number; host: string; publicUrl?: string; name?: string; json?: boolean; maxSkew: number; repl?: boolean };

export const pushReceiver: CliCommand = {
  name: 'push-receiver',
  register(program, context, action) {
    program
      .command('push-receiver')
      .description('receive pushed events: a local HTTP listener registered with registerCli; verifies every signature, prints events, deregisters on exit')
      .requiredOption('--repo <repository...>', 'repositories to receive task events of')
      .option('--port <port>', 'port to listen on (default: any free one)', (v) => Number.parseInt(v, 10), 0)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--public-url <url>', 'the callback URL Herald should push to, when it is not http://<host>:<port>/herald (a tunnel)')
      .option('--name <name>', 'a name for this registration', `herald-cli on ${process.env.HOSTNAME ?? 'localhost'}`)
      .option('--max-skew <seconds>', 'refuse deliveries whose timestamp is further off than this', (v) => Number.parseInt(v, 10), 300)
      .option('--json', 'one JSON line per event: {"via","event"}')
      .option('--no-repl', 'no interactive prompt even on a terminal')
      .addHelpText('after', '\nOn a terminal it also takes commands: status, deliveries, help, quit.\nEvents that pushing gave up on arrive over the WebSocket (cliNotifications) instead.')
      .action(
        action(async (options: Options) => {
          const { io } = context;
          const c = io.color;
          if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new CliError('push-receiver: --port must be 0-65535', Exit.usage);
          let secret: string | undefined;
          const seen = new Set<string>();
          const counts = { pushed: 0, fallback: 0, rejected: 0, repeated: 0 };
          const show = (event: Envelope, via: string, extra: Record<string, unknown> = {}) => {
            if (seen.has(event.id)) {
              counts.repeated++;
              return;
            }
            seen.add(event.id);
            if (via === 'push') counts.pushed++;
            else counts.fallback++;
            io.out(options.json ? JSON.stringify({ via, ...extra, event }) : describeEvent(event, via, c));
          };
          const server = createServer((req: IncomingMessage, res: ServerResponse) => {
            let body = '';
            req.setEncoding('utf8');
            req.on('data', (chunk: string) => (body += chunk));
            req.on('end', () => {
              if (req.method === 'GET') return void res.writeHead(req.url?.endsWith('/health') ? 200 : 404).end();
              if (req.method !== 'POST') return void res.writeHead(405).end();
              if (!secret) return void res.writeHead(503, { 'retry-after': '1' }).end(); // registration still on its way
              const problem = checkDelivery(secret, { timestamp: header(req, 'x-herald-timestamp'), signature: header(req, 'x-herald-signature') }, body, options.maxSkew);
              if (problem) {
                counts.rejected++;
                io.err(io.errColor.red(`rejected a delivery from ${req.socket.remoteAddress}: ${problem}`));
                return void res.writeHead(401).end();
              }
              let event: Envelope;
              try {
                event = JSON.parse(body) as Envelope;
              } catch {
                counts.rejected++;
                io.err(io.errColor.red('rejected a signed delivery that is not JSON'));
                return void res.writeHead(400).end();
              }
              res.writeHead(204).end();
              show(event, 'push', { delivery: header(req, 'x-herald-delivery') });
            });
          });
          await new Promise<void>((resolve, reject) => {
            server.once('error', (err) => reject(new CliError(`push-receiver: cannot listen on ${options.host}:${options.port}: ${err.message}`, Exit.usage)));
            server.listen(options.port, options.host, resolve);
          });
          context.onExit(() => new Promise<void>((resolve) => server.close(() => resolve())));
          const { port } = server.address() as AddressInfo;
          const host = options.host.includes(':') ? `[${options.host}]` : options.host;
          const callbackUrl = options.publicUrl ?? `http://${host}:${port}/herald`;

          const client = context.client();
          // Taken before registering: the fallback subscription starts after it, so
          // nothing given up on between registration and subscribing is missed.
          const { eventsCursor } = await client.request(EventsCursorDocument);
          const { registerCli } = await client.request(RegisterCliDocument, {
            input: { callbackUrl, repositories: options.repo, clientVersion: VERSION, ...(options.name ? { name: options.name } : {}) },
          });
          secret = registerCli.secret;
          context.onExit(async () => {
            try {
              await client.request(DeregisterCliDocument, { id: registerCli.id });
              io.err(io.errColor.dim(`deregistered ${registerCli.id}; ${counts.pushed} pushed, ${counts.fallback} over WebSocket, ${counts.rejected} rejected`));
            } catch (err) {
              io.err(`herald: could not deregister ${registerCli.id}: ${describeError(err)}`);
            }
          });
          io.err(io.errColor.dim(`registered ${registerCli.id}: Herald pushes ${options.repo.join(', ')} to ${callbackUrl}`));

          return new Promise<number>((resolve) => {
            // Whatever pushing gives up on comes over the WebSocket.
            const fallback = context.client({ cliRegistrationId: registerCli.id });
            fallback.on('state', ({ state, error }) => {
              if (state === 'failed' && error) {
                io.err(`herald: ${describeError(error)}`);
                resolve(exitCodeOf(error));
              }
            });
            fallback.subscribe(CliNotificationsDocument, { registrationId: registerCli.id, after: eventsCursor }, {
              next: ({ cliNotifications: n }) => show(n.event as Envelope, `websocket: ${n.reason}`, { reason: n.reason }),
              error: (error) => {
                io.err(`herald: ${describeError(error)}`);
                resolve(exitCodeOf(error));
              },
            });
            if (options.repl !== false && process.stdin.isTTY) {
              const prompt = createInterface({ input: process.stdin, output: process.stderr, prompt: 'herald> ' });
              context.onExit(() => prompt.close());
              prompt.prompt();
              prompt.on('line', (line) => {
                void (async () => {
                  const command = line.trim();
                  if (command === 'quit' || command === 'exit') return resolve(Exit.ok);
                  if (command === 'status') io.err(`${registerCli.id} → ${callbackUrl}: ${counts.pushed} pushed, ${counts.fallback} over WebSocket, ${counts.rejected} rejected, ${counts.repeated} repeats`);
                  else if (command === 'deliveries') {
                    try {
                      const { deliveries } = await client.request(DeliveriesDocument, { registrationId: registerCli.id, first: 10 });
                      for (const row of table(['DELIVERY', 'EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'LATENCY', 'ERROR'], deliveries.map((d) => [d.id, d.eventId, d.eventType, d.status, String(d.attempts), d.latencyMs === null ? '-' : `${d.latencyMs}ms`, d.lastError ?? '']), io.errColor)) io.err(row);
                    } catch (err) {
                      io.err(`herald: ${describeError(err)}`);
                    }
                  } else if (command !== '') io.err('commands: status, deliveries, quit');
                  prompt.prompt();
                })();
              });
              prompt.on('close', () => resolve(Exit.ok));
            }
          });
        }),
      );
  },
};

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};
