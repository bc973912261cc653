-- History costs nothing extra (issue 25): indexes that make every operator-facing read an index
-- scan bounded by what it shows, and the deployment counts and duration histograms of /metrics
-- kept as running totals in Postgres (see MetricTotal in schema.prisma) instead of recomputed
-- from every row at each scrape.

-- The newest deployments of the whole installation (dashboard, `deployments list`, the
-- notification poll's window), and of one failure code (`--code`).
CREATE INDEX "Deployment_queuedAt_idx" ON "Deployment"("queuedAt");
CREATE INDEX "Deployment_errorCode_queuedAt_idx" ON "Deployment"("errorCode", "queuedAt");
-- What changed since the notification poll last looked: deployments started or ended since.
CREATE INDEX "Deployment_startedAt_idx" ON "Deployment"("startedAt");
CREATE INDEX "Deployment_finishedAt_idx" ON "Deployment"("finishedAt");
-- A project's deployments in one status: the supersede query (its queued ones) and lane checks.
CREATE INDEX "Deployment_projectId_status_idx" ON "Deployment"("projectId", "status");
-- prune-logs: one entry per step with a stored log (its first chunk, at when its first line
-- came), so a run walks only the logs older than its cutoff. Partial: not expressible in
-- schema.prisma, kept here only.
CREATE INDEX "StepLogChunk_first_at_idx" ON "StepLogChunk"("at", "stepId") WHERE "firstSeq" = 0;

-- Prisma's script runner (the pg driver adapter) splits a migration at every semicolon, so
-- the PL/pgSQL bodies below are E'' strings with each of theirs written as \073.

-- CreateTable
CREATE TABLE "MetricTotal" (
    "metric" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL DEFAULT 0,
    "count" BIGINT NOT NULL DEFAULT 0,
    "sumMs" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "MetricTotal_pkey" PRIMARY KEY ("metric","labels","bucket")
);

-- CreateTable
CREATE TABLE "MetricDelta" (
    "id" BIGSERIAL NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL DEFAULT 0,
    "count" BIGINT NOT NULL,
    "sumMs" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "MetricDelta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricFirstProvision" (
    "projectId" UUID NOT NULL,
    "stepId" UUID NOT NULL,

    CONSTRAINT "MetricFirstProvision_pkey" PRIMARY KEY ("projectId")
);
CREATE UNIQUE INDEX "MetricFirstProvision_stepId_key" ON "MetricFirstProvision"("stepId");

-- The histograms' bounds in milliseconds (metrics/duration-metrics.ts holds them in seconds, a
-- test compares the two). The bucket is the index of the first bound the duration is at or
-- under (Prometheus' `le`), the number of bounds when above all: width_bucket(ms - 1, bounds).
CREATE FUNCTION coduck_metric_bucket(metric TEXT, ms INTEGER) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
  SELECT width_bucket(ms - 1, CASE metric
    WHEN 'step_duration' THEN
      ARRAY[100, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000]
    ELSE ARRAY[10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]
  END)
$$;

-- A deployment's series: its status, and for a failed one its failure code (UNKNOWN: none).
CREATE FUNCTION coduck_deployment_labels(status "DeploymentStatus", code TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status = 'failed'
    THEN jsonb_build_object('status', status::text, 'code', coalesce(code, 'UNKNOWN'))
    ELSE jsonb_build_object('status', status::text)
  END::text
$$;

-- Every change of Deployment rows adds (new rows) and takes away (old rows) one per series, as
-- one delta row per series and statement: writers only ever insert, so they never wait on one
-- another for a counter. Reading /metrics folds the deltas into MetricTotal.
CREATE FUNCTION coduck_count_deployments() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    INSERT INTO "MetricDelta" (metric, labels, count)
    SELECT ''deployments'', l, count(*) FROM (
      SELECT coduck_deployment_labels(status, "errorCode") AS l FROM new_rows) n
    GROUP BY l\073
  ELSIF TG_OP = ''DELETE'' THEN
    INSERT INTO "MetricDelta" (metric, labels, count)
    SELECT ''deployments'', l, -count(*) FROM (
      SELECT coduck_deployment_labels(status, "errorCode") AS l FROM old_rows) o
    GROUP BY l\073
  ELSE
    INSERT INTO "MetricDelta" (metric, labels, count)
    SELECT ''deployments'', l, sum(n) FROM (
      SELECT coduck_deployment_labels(status, "errorCode") AS l, 1 AS n FROM new_rows
      UNION ALL
      SELECT coduck_deployment_labels(status, "errorCode"), -1 FROM old_rows) c
    GROUP BY l HAVING sum(n) <> 0\073
  END IF\073
  RETURN NULL\073
END ';

-- Steps: every step with a duration is one observation of step_duration (by name and status),
-- a succeeded provision step is one of provisioning_duration, `first` for its project's first
-- (remembered in MetricFirstProvision), `repeat` after. Same definitions as the per-scrape
-- queries they replace (git history: metrics/duration-metrics.ts).

CREATE FUNCTION coduck_count_steps() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP IN (''INSERT'', ''UPDATE'') THEN
    -- A project''s first succeeded provision (by start), remembered once.
    INSERT INTO "MetricFirstProvision" ("projectId", "stepId")
    SELECT DISTINCT ON (d."projectId") d."projectId", n.id
    FROM new_rows n JOIN "Deployment" d ON d.id = n."deploymentId"
    WHERE n.name = ''provision'' AND n.status = ''succeeded'' AND n."durationMs" IS NOT NULL
    ORDER BY d."projectId", n."startedAt", n.id
    ON CONFLICT ("projectId") DO NOTHING\073
  END IF\073

  IF TG_OP = ''INSERT'' THEN
    INSERT INTO "MetricDelta" (metric, labels, bucket, count, "sumMs")
    SELECT metric, labels, bucket, sum(sign), sum(sign * ms) FROM (
      SELECT ''step_duration'' AS metric,
             jsonb_build_object(''step'', name, ''status'', status::text)::text AS labels,
             coduck_metric_bucket(''step_duration'', "durationMs") AS bucket,
             1 AS sign, "durationMs"::bigint AS ms
      FROM new_rows WHERE "durationMs" IS NOT NULL
      UNION ALL
      SELECT ''provisioning_duration'',
             jsonb_build_object(''kind'', CASE WHEN f."stepId" IS NULL THEN ''repeat'' ELSE ''first'' END)::text,
             coduck_metric_bucket(''provisioning_duration'', n."durationMs"), 1, n."durationMs"
      FROM new_rows n LEFT JOIN "MetricFirstProvision" f ON f."stepId" = n.id
      WHERE n.name = ''provision'' AND n.status = ''succeeded'' AND n."durationMs" IS NOT NULL
    ) c GROUP BY 1, 2, 3\073
  ELSIF TG_OP = ''DELETE'' THEN
    INSERT INTO "MetricDelta" (metric, labels, bucket, count, "sumMs")
    SELECT metric, labels, bucket, sum(sign), sum(sign * ms) FROM (
      SELECT ''step_duration'' AS metric,
             jsonb_build_object(''step'', name, ''status'', status::text)::text AS labels,
             coduck_metric_bucket(''step_duration'', "durationMs") AS bucket,
             -1 AS sign, "durationMs"::bigint AS ms
      FROM old_rows WHERE "durationMs" IS NOT NULL
      UNION ALL
      SELECT ''provisioning_duration'',
             jsonb_build_object(''kind'', CASE WHEN f."stepId" IS NULL THEN ''repeat'' ELSE ''first'' END)::text,
             coduck_metric_bucket(''provisioning_duration'', o."durationMs"), -1, o."durationMs"
      FROM old_rows o LEFT JOIN "MetricFirstProvision" f ON f."stepId" = o.id
      WHERE o.name = ''provision'' AND o.status = ''succeeded'' AND o."durationMs" IS NOT NULL
    ) c GROUP BY 1, 2, 3\073
    -- A project''s steps go with the project: its first provision is forgotten with them.
    DELETE FROM "MetricFirstProvision" f USING old_rows o WHERE f."stepId" = o.id\073
  ELSE
    INSERT INTO "MetricDelta" (metric, labels, bucket, count, "sumMs")
    SELECT metric, labels, bucket, sum(sign), sum(sign * ms) FROM (
      SELECT ''step_duration'' AS metric,
             jsonb_build_object(''step'', r.name, ''status'', r.status::text)::text AS labels,
             coduck_metric_bucket(''step_duration'', r."durationMs") AS bucket,
             r.sign, r."durationMs"::bigint AS ms
      FROM (SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 FROM old_rows) r
      WHERE r."durationMs" IS NOT NULL
      UNION ALL
      SELECT ''provisioning_duration'',
             jsonb_build_object(''kind'', CASE WHEN f."stepId" IS NULL THEN ''repeat'' ELSE ''first'' END)::text,
             coduck_metric_bucket(''provisioning_duration'', r."durationMs"), r.sign, r."durationMs"
      FROM (SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 FROM old_rows) r
      LEFT JOIN "MetricFirstProvision" f ON f."stepId" = r.id
      WHERE r.name = ''provision'' AND r.status = ''succeeded'' AND r."durationMs" IS NOT NULL
    ) c GROUP BY 1, 2, 3 HAVING sum(sign) <> 0 OR sum(sign * ms) <> 0\073
  END IF\073
  RETURN NULL\073
END ';

-- Counts the totals afresh from the rows: what this migration does for an installation with
-- history, and what to run should the totals ever be in doubt (rows written with the triggers
-- disabled, as the history benchmark fills its database): SELECT coduck_recount_metric_totals().
-- Lock the two tables first if the worker is running.
CREATE FUNCTION coduck_recount_metric_totals() RETURNS VOID LANGUAGE plpgsql AS E'BEGIN
  DELETE FROM "MetricDelta"\073
  DELETE FROM "MetricTotal"\073
  DELETE FROM "MetricFirstProvision"\073
INSERT INTO "MetricTotal" (metric, labels, count)
SELECT ''deployments'', coduck_deployment_labels(status, "errorCode"), count(*)
FROM "Deployment" GROUP BY 2\073

INSERT INTO "MetricTotal" (metric, labels, bucket, count, "sumMs")
SELECT ''step_duration'', jsonb_build_object(''step'', name, ''status'', status::text)::text,
       coduck_metric_bucket(''step_duration'', "durationMs"), count(*), sum("durationMs")
FROM "DeploymentStep" WHERE "durationMs" IS NOT NULL GROUP BY 2, 3\073

INSERT INTO "MetricFirstProvision" ("projectId", "stepId")
SELECT DISTINCT ON (d."projectId") d."projectId", s.id
FROM "DeploymentStep" s JOIN "Deployment" d ON d.id = s."deploymentId"
WHERE s.name = ''provision'' AND s.status = ''succeeded'' AND s."durationMs" IS NOT NULL
ORDER BY d."projectId", s."startedAt", s.id\073

INSERT INTO "MetricTotal" (metric, labels, bucket, count, "sumMs")
SELECT ''provisioning_duration'',
       jsonb_build_object(''kind'', CASE WHEN f."stepId" IS NULL THEN ''repeat'' ELSE ''first'' END)::text,
       coduck_metric_bucket(''provisioning_duration'', s."durationMs"), count(*), sum(s."durationMs")
FROM "DeploymentStep" s LEFT JOIN "MetricFirstProvision" f ON f."stepId" = s.id
WHERE s.name = ''provision'' AND s.status = ''succeeded'' AND s."durationMs" IS NOT NULL
GROUP BY 2, 3\073
END';

-- Installing the triggers and counting what is already recorded happen in one statement, so
-- in one transaction: the tables stay locked from the first trigger to the last row counted,
-- and no write falls between (Prisma's script runner sends each statement on its own).
CREATE FUNCTION coduck_install_metric_totals() RETURNS VOID LANGUAGE plpgsql AS E'BEGIN
  LOCK TABLE "Deployment", "DeploymentStep" IN SHARE ROW EXCLUSIVE MODE\073
-- Transition tables allow one event per trigger: three each.
CREATE TRIGGER "Deployment_metrics_insert" AFTER INSERT ON "Deployment"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_deployments()\073
CREATE TRIGGER "Deployment_metrics_update" AFTER UPDATE ON "Deployment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_deployments()\073
CREATE TRIGGER "Deployment_metrics_delete" AFTER DELETE ON "Deployment"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_deployments()\073
CREATE TRIGGER "DeploymentStep_metrics_insert" AFTER INSERT ON "DeploymentStep"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_steps()\073
CREATE TRIGGER "DeploymentStep_metrics_update" AFTER UPDATE ON "DeploymentStep"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_steps()\073
CREATE TRIGGER "DeploymentStep_metrics_delete" AFTER DELETE ON "DeploymentStep"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coduck_count_steps()\073


  PERFORM coduck_recount_metric_totals()\073
END';

SELECT coduck_install_metric_totals();

DROP FUNCTION coduck_install_metric_totals();
