/**
 * The seed every fast-check property here runs with: fixed, so a run is repeatable and a failure
 * replays; FC_SEED=<n> tries other inputs (fast-check names the seed of any failure it finds).
 */
export const FC_SEED = seedFromEnv(process.env.FC_SEED);

/** fast-check parameters for a property: `numRuns` runs from the recorded seed. */
export function propertyRuns(numRuns: number): { numRuns: number; seed: number } {
  return { numRuns, seed: FC_SEED };
}

function seedFromEnv(text: string | undefined): number {
  if (text === undefined || text === "") return 20_261_206;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${text}`);
  return seed;
}
