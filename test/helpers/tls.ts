import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A self-signed certificate (its own CA) for localhost and 127.0.0.1, and its key, as PEM files in `dir`. */
export type Certificate = { readonly certFile: string; readonly keyFile: string; readonly pem: Buffer };

/** Made with the openssl command line at test time: node's crypto cannot issue X.509 certificates. */
export function makeCertificate(dir: string, name = 'herald'): Certificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, pem: readFileSync(certFile) };
}
