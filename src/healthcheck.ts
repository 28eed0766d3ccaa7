import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The container's health probe (the Dockerfile's HEALTHCHECK, the compose
 * files' healthchecks): asks this instance, on its own HOST and PORT, for
 * each path given (default `/health`) and exits 0 when every one answers 200,
 * 1 otherwise. With TLS_CERT_FILE set it speaks HTTPS, accepting the
 * instance's own certificate whatever it is: the probe checks that the server
 * answers, clients check the certificate.
 */

const TIMEOUT_MS = 2_500;

const env = process.env;
const tls = Boolean(env.TLS_CERT_FILE);
const port = Number(env.PORT || 4000);
// A server listening on every address answers on loopback.
const host = !env.HOST || env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST === '::' ? '::1' : env.HOST;
const paths = process.argv.slice(2);

function status(path: string): Promise<number> {
  return new Promise((resolve) => {
    const options = { host, port, path, method: 'GET', timeout: TIMEOUT_MS, ...(tls ? { rejectUnauthorized: false } : {}) };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

const statuses = await Promise.all((paths.length > 0 ? paths : ['/health']).map(status));
process.exit(statuses.every((s) => s === 200) ? 0 : 1);
