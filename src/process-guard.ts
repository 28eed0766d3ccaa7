import type { Logger } from './log.js';

/**
 * The last line of defence: a promise rejected with no handler would end the
 * process (Node's default), dropping every client of the instance for one
 * missed `.catch`. Herald handles its failures where they happen; whatever
 * still slips through is logged at ERROR, naming the part of the server it
 * came from, and the instance keeps serving.
 */
export function installProcessGuard(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ component: componentOf(reason), err: reason }, 'unhandled rejection');
  });
}

/** Which part of the server a failure came from: its own `component`, else the first frame of its stack in src/ or a package. */
export function componentOf(reason: unknown): string {
  if (typeof reason === 'object' && reason !== null && typeof (reason as { component?: unknown }).component === 'string') {
    return (reason as { component: string }).component;
  }
  const stack = reason instanceof Error ? (reason.stack ?? '') : '';
  const own = /[/\\]src[/\\]([a-z-]+)[/\\]/.exec(stack);
  if (own) return own[1]!;
  const dependency = /node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/.exec(stack);
  if (dependency) return dependency[1] === 'ioredis' ? 'redis' : dependency[1]!;
  return 'unknown';
}
