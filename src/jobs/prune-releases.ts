import { type HousekeepingJob, recordedUnlessDry } from "../housekeeping/housekeeping-run.js";
import { pruneReleases } from "../housekeeping/prune-releases.js";

/** The `prune-releases` job: keeps the newest KEEP_RELEASES release directories per project. */
export const pruneReleasesJob: HousekeepingJob = {
  name: "prune-releases",
  run: (deps, run) =>
    recordedUnlessDry(deps, "prune-releases", run, () =>
      pruneReleases(deps.db, deps.config.dataDir, deps.config.housekeeping.keepReleases, run),
    ),
};
