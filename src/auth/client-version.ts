/** The CLI whose versions Herald checks; other clients may name themselves freely. */
export const CLI_NAME = 'herald-cli';

const VERSION = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/** Compares dotted versions numerically; undefined when either is not a version. */
export function compareVersions(a: string, b: string): number | undefined {
  const x = VERSION.exec(a);
  const y = VERSION.exec(b);
  if (!x || !y) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** What a connecting client says of itself, and what Herald tells from the upgrade and the credential. */
export type ClientIdentity = {
  readonly name: string | null;
  readonly version: string | null;
  /** The upgrade carried an Origin header: a browser page. */
  readonly browser: boolean;
  /** On the gateway path, or authenticated with a gateway key. */
  readonly gateway: boolean;
};

/**
 * Whether a client counts as a CLI, whose version MIN_CLI_VERSION governs:
 * one that names itself `herald-cli`, or names itself nothing and is neither
 * a browser nor a gateway (CLIs from before versions were sent named nothing
 * either). A client with another name is not a CLI.
 */
export function isCli(client: ClientIdentity): boolean {
  if (client.name === CLI_NAME) return true;
  return client.name === null && !client.browser && !client.gateway;
}

/** Why a client may not connect, or undefined when it may. */
export function clientVersionProblem(client: ClientIdentity, minimum: string | undefined): string | undefined {
  // Without a minimum only a client that calls itself herald-cli is held to stating its version.
  if (minimum ? !isCli(client) : client.name !== CLI_NAME) return undefined;
  const needed = minimum ? `${CLI_NAME} ${minimum} or newer is required` : `${CLI_NAME} must state its version`;
  if (!client.version) return `${needed}; no version was sent (X-Herald-Version or clientVersion)`;
  if (!minimum) return undefined;
  const order = compareVersions(client.version, minimum);
  if (order === undefined) return `${needed}; "${client.version.slice(0, 30)}" is not a version`;
  return order < 0 ? `${needed}; this is ${client.version}` : undefined;
}

/** What kind of client a connection is, as the console counts them. */
export const CLIENT_KINDS = ['BROWSER', 'CLI', 'GATEWAY', 'SERVICE'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * A gateway by its credential; a CLI by its name (`herald-cli`) or by the
 * push registration it named in connection_init; a browser by the Origin of
 * its upgrade (every browser sends one, programs usually do not); anything
 * else is a service.
 */
export function clientKindOf(client: { readonly principalKind: string | null; readonly name: string | null; readonly browser: boolean; readonly cliRegistrationId: string | null }): ClientKind {
  if (client.principalKind === 'gateway') return 'GATEWAY';
  if (client.name === CLI_NAME || client.cliRegistrationId !== null) return 'CLI';
  return client.browser ? 'BROWSER' : 'SERVICE';
}
