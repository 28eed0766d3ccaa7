import { decodeJwt } from '../../client/index.js';
import { CliError, Exit } from '../exit-codes.js';
import type { CliCommand } from './types.js';

/** `herald token`: where the development admin token is, and what a JWT says. */
export const token: CliCommand = {
  name: 'token',
  register(program, context, action) {
    const command = program.command('token').description('token helpers: the development admin token, decoding a JWT');
    command
      .command('dev')
      .description('where to find the admin token of a server in development mode')
      .action(
        action(async () => {
          const { io } = context;
          io.out('A server started without HERALD_ADMIN_TOKEN (development mode, `npm start`) generates an admin');
          io.out('token and logs it in its first log line, as "adminToken":"...". To use it:');
          io.out('');
          io.out('  npm start | head -1 | node -e \'process.stdin.on("data", d => console.log(JSON.parse(d).adminToken))\'');
          io.out('  export HERALD_TOKEN=<that token>');
          io.out('');
          io.out('Or set HERALD_ADMIN_TOKEN yourself when starting the server, and the same value as HERALD_TOKEN here.');
          io.out('In development mode anonymous callers may also do everything, so most commands work without a token.');
        }),
      );
    command
      .command('decode')
      .description("print a JWT's header and claims (not verified), and when it expires")
      .argument('[jwt]', 'the token (default: --token / HERALD_TOKEN)')
      .option('--json', 'print {header, claims} as JSON')
      .action(
        action(async (jwt: string | undefined, options: { json?: boolean }) => {
          const { io } = context;
          const value = jwt ?? context.config().token;
          if (!value) throw new CliError('no token given: pass one, or set --token / HERALD_TOKEN', Exit.usage);
          const decoded = decodeJwt(value);
          if (!decoded) throw new CliError('not a JWT (three base64url parts, the first two JSON): admin tokens and API key secrets are opaque', Exit.usage);
          if (options.json) return io.out(JSON.stringify(decoded));
          const c = io.color;
          io.out(`${c.bold('header')} ${JSON.stringify(decoded.header)}`);
          io.out(c.bold('claims'));
          for (const [name, claim] of Object.entries(decoded.claims)) {
            const time = (name === 'exp' || name === 'iat' || name === 'nbf') && typeof claim === 'number' ? `  (${new Date(claim * 1000).toISOString()})` : '';
            io.out(`  ${name}: ${JSON.stringify(claim)}${time}`);
          }
          const exp = decoded.claims.exp;
          if (typeof exp !== 'number') io.out(c.yellow('no exp: the token never expires'));
          else if (exp * 1000 < Date.now()) io.out(c.red(`expired ${Math.round((Date.now() - exp * 1000) / 1000)}s ago`));
          else io.out(c.green(`expires in ${Math.round((exp * 1000 - Date.now()) / 1000)}s`));
        }),
      );
  },
};
