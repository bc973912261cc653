import { type HousekeepingJob, recordedUnlessDry } from "../housekeeping/housekeeping-run.js";
import { pruneCaches } from "../housekeeping/prune-caches.js";

/** The `prune-caches` job: drops dependency and build caches, and shared packages, unused for CACHE_MAX_AGE_DAYS. */
export const pruneCachesJob: HousekeepingJob = {
  name: "prune-caches",
  run: (deps, run) =>
    recordedUnlessDry(deps, "prune-caches", run, () =>
      pruneCaches(
        deps.db,
        deps.config.dataDir,
        new Date(Date.now() - deps.config.housekeeping.cacheMaxAgeMs),
        run,
      ),
    ),
};
