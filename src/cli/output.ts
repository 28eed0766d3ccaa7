/** Printing: colours only on a terminal (and never with NO_COLOR), tables, times. */
export type Paint = (text: string) => string;

export type Colors = {
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly blue: Paint;
  readonly magenta: Paint;
  readonly cyan: Paint;
};

const code = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colors {
  const on = env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, blue: plain, magenta: plain, cyan: plain };
  return { bold: code(1, 22), dim: code(2, 22), red: code(31, 39), green: code(32, 39), yellow: code(33, 39), blue: code(34, 39), magenta: code(35, 39), cyan: code(36, 39) };
}

export type Io = {
  /** A line on stdout: results. */
  out(line: string): void;
  /** A line on stderr: progress, warnings, errors. */
  err(line: string): void;
  readonly color: Colors;
  readonly errColor: Colors;
};

export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    color: colorsFor(process.stdout),
    errColor: colorsFor(process.stderr),
  };
}

/** Columns padded to their widest cell (colour codes not counted). */
export function table(headers: string[], rows: string[][], color: Colors): string[] {
  const visible = (text: string) => text.replace(/\u001b\[\d+m/g, '').length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell)))).join('  ');
  return [color.bold(line(headers)), ...rows.map(line)];
}

/** `12:03:04` in local time. */
export const clock = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toTimeString().slice(0, 8);
};

export const ago = (iso: string | null | undefined) => {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
};

export const json = (value: unknown) => JSON.stringify(value);
