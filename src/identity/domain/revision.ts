/**
 * A counter bumped on every identity write. Caches (validated tokens,
 * catalog) remember the revision they were built at and rebuild when it
 * moved, so a role removal or a disabled user takes effect at once.
 */
export class Revision {
  #value = 0;
  get value(): number {
    return this.#value;
  }
  bump(): void {
    this.#value++;
  }
}
