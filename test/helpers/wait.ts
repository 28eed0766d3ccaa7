/**
 * Polls a read until its value satisfies a condition: for state that another
 * process changes and that offers no event to await (cluster reports, stats).
 */
export async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Values that arrive over time (a subscription's events) and a way to await
 * how many have: `waitForCount` resolves once that many arrived, or rejects
 * when the source finished first, saying what it had.
 */
export function arrivals<T>(whatEnded: () => string) {
  const values: T[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  return {
    values,
    push(value: T) {
      values.push(value);
      notify();
    },
    /** Something else changed that a waiter may care about. */
    notify,
    finish() {
      finished = true;
      notify();
    },
    waitForCount: (count: number): Promise<T[]> => waitFor((arrived) => arrived.length >= count, `${count}`),
    waitFor,
  };

  /** Resolves once the values satisfy `ok`, or rejects when the source finished first. */
  function waitFor(ok: (arrived: readonly T[]) => boolean, what = 'the values waited for'): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ok(values)) {
          waiters.delete(check);
          resolve(values);
        } else if (finished) {
          waiters.delete(check);
          reject(new Error(`ended after ${values.length} values, short of ${what}: ${whatEnded()}`));
        }
      };
      waiters.add(check);
      check();
    });
  }
}
