-- `retry --all-failed` reads the index alone (issue 25): the partial index of each project's
-- newest deployment that failed (20261207020000_latest_deployment) now carries what the
-- command's selection returns and filters by: the deployment's id, its error code and when it
-- ended. The selection is then an index-only scan: no heap row read per project it lists, on
-- every page the visibility map marks all-visible (vacuumed since its last change: a deployment
-- that failed since the table's last vacuum is still read from its row, as before).
--
-- Built under a new name, the old one dropped, then renamed: the name stays the one the first
-- migration gave it. No semicolons in these comments: the script runner splits at each one.

CREATE INDEX "Deployment_latest_failed_covering_idx" ON public."Deployment" ("projectId")
  INCLUDE (id, "errorCode", "finishedAt")
  WHERE "latest" AND status = 'failed'::public."DeploymentStatus";

DROP INDEX public."Deployment_latest_failed_idx";

ALTER INDEX public."Deployment_latest_failed_covering_idx" RENAME TO "Deployment_latest_failed_idx";
