-- `retry --all-failed` reads only the projects it shows (issue 25): each project's newest
-- deployment (by queuedAt, and between two queued in the same millisecond, the greater id) carries
-- "latest" = true, kept by the triggers below, and a partial index holds the newest ones that
-- failed. Before, the selection probed every project's (projectId, queuedAt) index: its cost
-- followed the number of projects with any deployment, not the failed ones it lists.
--
-- Why a flag on Deployment rather than the newest's id and status copied onto Project: a
-- deployment's status changes (queued, running, failed, …) without its project's row being
-- touched, so a copy on Project would need a trigger on every status change that locks the
-- project's row after the deployment's: the opposite order to createDeployment's (the
-- project's row FOR UPDATE, then its queued deployments, to supersede them), and a push
-- arriving as a worker picks up the project's queued deploy would deadlock. With the flag on
-- Deployment the partial index follows status changes by itself: only a new deployment moves
-- the flag, taking the project's row first, as createDeployment does.
--
-- Prisma's script runner splits a migration at every semicolon: the PL/pgSQL bodies are E''
-- strings with each of theirs written as \073. The functions pin their search_path and name
-- every object with its schema.

ALTER TABLE public."Deployment" ADD COLUMN "latest" BOOLEAN NOT NULL DEFAULT false;

-- The metric totals' triggers (20261207000000_flat_cost_history) name their tables without a
-- schema and ran with whatever search_path the writer had: a write to Deployment from a
-- function whose path is pinned (those below) found no "MetricDelta". Their path pinned too.
ALTER FUNCTION public.coduck_count_deployments() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION public.coduck_count_steps() SET search_path = pg_catalog, public, pg_temp;

-- A deployment being recorded: it becomes its project's newest unless the newest sorts after it
-- (a row written with an older queuedAt, and between equal times the greater id wins), and the one
-- it displaces loses the flag. One new deployment of a project at a time: the project's row is
-- locked first (createDeployment already holds it FOR UPDATE, and FOR NO KEY UPDATE does not wait on
-- the foreign-key checks of other inserts, which only share its key).
CREATE FUNCTION public.coduck_latest_deployment_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS E'
DECLARE
  newest RECORD\073
BEGIN
  PERFORM 1 FROM public."Project" WHERE id = NEW."projectId" FOR NO KEY UPDATE\073
  SELECT d.id, d."queuedAt" INTO newest FROM public."Deployment" d
   WHERE d."projectId" = NEW."projectId" AND d."latest"\073
  IF NOT FOUND THEN
    NEW."latest" := true\073
  ELSIF (NEW."queuedAt", NEW.id) > (newest."queuedAt", newest.id) THEN
    UPDATE public."Deployment" SET "latest" = false WHERE id = newest.id\073
    NEW."latest" := true\073
  ELSE
    NEW."latest" := false\073
  END IF\073
  RETURN NEW\073
END';

-- A project's newest elected again from its rows: after its newest is deleted, or a
-- deployment's queuedAt or project is changed (the worker does neither: an operator's psql).
CREATE FUNCTION public.coduck_elect_latest_deployment(project UUID) RETURNS VOID
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS E'
BEGIN
  PERFORM 1 FROM public."Project" WHERE id = project FOR NO KEY UPDATE\073
  UPDATE public."Deployment" SET "latest" = false WHERE "projectId" = project AND "latest"\073
  UPDATE public."Deployment" SET "latest" = true WHERE id = (
    SELECT d.id FROM public."Deployment" d WHERE d."projectId" = project
    ORDER BY d."queuedAt" DESC, d.id DESC LIMIT 1)\073
END';

CREATE FUNCTION public.coduck_latest_deployment_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS E'
BEGIN
  IF TG_OP = ''DELETE'' THEN
    PERFORM public.coduck_elect_latest_deployment(OLD."projectId")\073
  ELSE
    PERFORM public.coduck_elect_latest_deployment(OLD."projectId")\073
    IF NEW."projectId" IS DISTINCT FROM OLD."projectId" THEN
      PERFORM public.coduck_elect_latest_deployment(NEW."projectId")\073
    END IF\073
  END IF\073
  RETURN NULL\073
END';

-- Sets the flag afresh from the rows, set-based: what this migration does for an installation
-- with history, and what to run should the flags ever be in doubt (rows written with triggers
-- disabled, as the history benchmark fills its database): SELECT coduck_recount_latest_deployments().
-- Clears before it sets, so the unique index below never sees two newest of one project.
CREATE FUNCTION public.coduck_recount_latest_deployments() RETURNS VOID
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS E'
BEGIN
  CREATE TEMP TABLE coduck_newest ON COMMIT DROP AS
    SELECT DISTINCT ON (d."projectId") d.id FROM public."Deployment" d
    ORDER BY d."projectId", d."queuedAt" DESC, d.id DESC\073
  UPDATE public."Deployment" d SET "latest" = false
   WHERE d."latest" AND NOT EXISTS (SELECT 1 FROM coduck_newest n WHERE n.id = d.id)\073
  UPDATE public."Deployment" d SET "latest" = true
    FROM coduck_newest n WHERE n.id = d.id AND NOT d."latest"\073
  DROP TABLE coduck_newest\073
END';

-- The flags counted, the indexes built and the triggers installed in one statement, so in one
-- transaction: the table stays locked from the first flag set to the last trigger, and no
-- deployment is recorded between (Prisma's script runner sends each statement on its own).
CREATE FUNCTION public.coduck_install_latest_deployment() RETURNS VOID
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS E'BEGIN
  LOCK TABLE public."Deployment" IN SHARE ROW EXCLUSIVE MODE\073
  PERFORM public.coduck_recount_latest_deployments()\073
  -- At most one newest per project, and the trigger finds it in one probe.
  CREATE UNIQUE INDEX "Deployment_latest_projectId_key" ON public."Deployment" ("projectId")
    WHERE "latest"\073
  -- retry --all-failed: the projects whose newest deployment failed, and nothing else.
  CREATE INDEX "Deployment_latest_failed_idx" ON public."Deployment" ("projectId")
    WHERE "latest" AND status = ''failed''::public."DeploymentStatus"\073
  CREATE TRIGGER "Deployment_latest_insert" BEFORE INSERT ON public."Deployment"
    FOR EACH ROW EXECUTE FUNCTION public.coduck_latest_deployment_insert()\073
  CREATE TRIGGER "Deployment_latest_move" AFTER UPDATE OF "queuedAt", "projectId" ON public."Deployment"
    FOR EACH ROW WHEN (OLD."queuedAt" IS DISTINCT FROM NEW."queuedAt"
                       OR OLD."projectId" IS DISTINCT FROM NEW."projectId")
    EXECUTE FUNCTION public.coduck_latest_deployment_change()\073
  CREATE TRIGGER "Deployment_latest_delete" AFTER DELETE ON public."Deployment"
    FOR EACH ROW WHEN (OLD."latest") EXECUTE FUNCTION public.coduck_latest_deployment_change()\073
END';

SELECT public.coduck_install_latest_deployment();

DROP FUNCTION public.coduck_install_latest_deployment();
