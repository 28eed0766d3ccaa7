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

/** Why a client may not connect, or undefined when it may. */
export function clientVersionProblem(name: string | null, version: string | null, minimum: string | undefined): string | undefined {
  if (name !== CLI_NAME) return undefined;
  const needed = minimum ? `${CLI_NAME} ${minimum} or newer is required` : `${CLI_NAME} must send clientVersion`;
  if (!version) return `${needed}; no clientVersion was sent`;
  if (!minimum) return undefined;
  const order = compareVersions(version, minimum);
  if (order === undefined) return `${needed}; "${version.slice(0, 30)}" is not a version`;
  return order < 0 ? `${needed}; this is ${version}` : undefined;
}
