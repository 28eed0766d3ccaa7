/**
 * A first-in first-out queue over an array. Taking from the front moves a
 * head index rather than shifting the array, which would move every item
 * left, once per take. The slot taken is blanked at once, so the collector
 * can free what it held; blanked slots are cut off once they are an eighth
 * of the array, so they never hold more than a little memory however long
 * the queue stays non-empty.
 *
 * `blank` is what a taken slot holds: `undefined` (the default) for
 * objects, `0` for numbers, so an array of numbers stays an unboxed array of
 * doubles.
 */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  constructor(private readonly blank?: T) {}

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The item `index` places from the front (0 is the front); `index` must be below `size`. */
  at(index: number): T {
    return this.#items[this.#head + index] as T;
  }

  /** Takes the front item; the queue must not be empty. */
  shift(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = this.blank;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 16 && this.#head * 8 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Takes every item, front first. */
  take(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.clear();
    return items;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
