import { TimeoutError } from "./errors.js";

/**
 * Settles as `work` does, or rejects with TimeoutError after `ms`. The work itself goes on:
 * use this where a dead service must not hold up an answer (a probe, a scrape), not to cancel.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
