/** Wrong ADMIN_TOKENs an address may send before it is refused for the rest of the window. */
export const MAX_WRONG_TOKENS = 10;
export const WRONG_TOKEN_WINDOW_MS = 15 * 60_000;
/** Addresses remembered at most: the oldest are forgotten first. */
const MAX_ADDRESSES = 10_000;

/**
 * Counts the wrong ADMIN_TOKENs each client address sends (the login form, a Bearer token, the
 * basic-auth password). Once an address has sent MAX_WRONG_TOKENS within the window from its
 * first, it is refused any token until the window ends, right or wrong: guessing a short token
 * takes far longer than its owner is willing to wait. A session cookie is not a guess (it is
 * signed) and is never refused, so an operator already logged in keeps working.
 */
export class WrongTokenLimit {
  private readonly byAddress = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max = MAX_WRONG_TOKENS,
    private readonly windowMs = WRONG_TOKEN_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may send a token again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const entry = this.current(address);
    if (!entry || entry.count < this.max) return 0;
    return Math.max(1, Math.ceil((entry.since + this.windowMs - this.now()) / 1000));
  }

  wrongToken(address: string): void {
    const entry = this.current(address) ?? { count: 0, since: this.now() };
    entry.count++;
    // Re-inserted, so the map's first key is always the address heard from least recently.
    this.byAddress.delete(address);
    this.byAddress.set(address, entry);
    if (this.byAddress.size > MAX_ADDRESSES) {
      const oldest = this.byAddress.keys().next().value;
      if (oldest !== undefined) this.byAddress.delete(oldest);
    }
  }

  private current(address: string) {
    const entry = this.byAddress.get(address);
    if (entry && this.now() - entry.since >= this.windowMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return entry;
  }
}

/** What a refused address is told. */
export function tooManyWrongTokens(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `too many wrong ADMIN_TOKENs from this address: try again in ${minutes} minute${minutes === 1 ? "" : "s"}`;
}
