import { Command, CommanderError, Option } from 'commander';
import { COMMANDS } from './commands/index.js';
import { createContext, VERSION } from './context.js';
import { describeError, Exit, exitCodeOf } from './exit-codes.js';
import { processIo, type Io } from './output.js';
import type { GlobalFlags } from './config.js';

/**
 * The `herald` command. Every subcommand is an entry of COMMANDS
 * (commands/index.ts); each action resolves with an exit code, and every
 * failure ends as one line on stderr and an exit code (exit-codes.ts), never
 * a stack trace.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const program = new Command('herald');
  let exitCode: number = Exit.ok;
  const context = createContext(io, () => program.opts<GlobalFlags>());
  program
    .description('Watch, publish and manage Herald events from a terminal.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'GraphQL endpoint of the server (default http://127.0.0.1:4000/graphql)').env('HERALD_URL'))
    .addOption(new Option('--token <token>', 'bearer token: admin token, API key secret or JWT').env('HERALD_TOKEN'))
    .addOption(new Option('--config <file>', 'JSON config file with "url" and "token" (default ~/.config/herald/config.json)').env('HERALD_CONFIG'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 refused by the server, 2 bad usage, 3 server unreachable,\n4 credentials refused, 5 not allowed, 6 CLI older than MIN_CLI_VERSION.',
    );
  for (const command of COMMANDS) {
    command.register(program, context, (run) => async (...args: unknown[]) => {
      exitCode = await settle(run(...args), io);
    });
  }
  /** Set by a stop signal: the exit code as the signal found it, once the command has cleaned up. */
  let stopped: Promise<number> | undefined;
  const stop = (signal: NodeJS.Signals) => {
    // What ending the command causes (a subscription ended as its client is disposed, say)
    // is not a failure of the command, whichever way out gets there first.
    const code = signal === 'SIGINT' || signal === 'SIGTERM' ? exitCode : Exit.failed;
    stopped = context.cleanup().then(() => code);
    void stopped.then((c) => process.exit(c));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' || err.exitCode === 0;
      exitCode = ok ? Exit.ok : Exit.usage;
    } else {
      io.err(`herald: ${describeError(err)}`);
      exitCode = exitCodeOf(err);
    }
  } finally {
    await context.cleanup();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return stopped ?? exitCode;
}

async function settle(work: Promise<number | void>, io: Io): Promise<number> {
  try {
    return (await work) ?? Exit.ok;
  } catch (err) {
    io.err(`herald: ${describeError(err)}`);
    return exitCodeOf(err);
  }
}

const isEntry = process.argv[1] !== undefined && /[\\/](main\.ts|herald\.mjs|herald)$/.test(process.argv[1]);
if (isEntry) {
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`herald: ${describeError(err)}\n`);
    process.exit(Exit.failed);
  });
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
