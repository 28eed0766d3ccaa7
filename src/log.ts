import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; `audit` lines are a child logger with their own tag. */
export function createLogger(level: string, instanceId: string): Logger {
  return pino({ level, base: { instance: instanceId }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** An `audit` log line: who did what to what, never a secret. */
export type AuditEntry = Record<string, unknown> & { readonly action: string };

/** Writes an audit line; one type for every part that audits. */
export type Audit = (entry: AuditEntry) => void;
