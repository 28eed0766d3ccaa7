import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; `audit` lines are a child logger with their own tag. */
export function createLogger(level: string, instanceId: string): Logger {
  return pino({ level, base: { instance: instanceId }, timestamp: pino.stdTimeFunctions.isoTime });
}
