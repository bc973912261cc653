-- How the deployment's app commands ran: "bwrap" (in the sandbox) or "off" (unsandboxed,
-- SANDBOX=off set explicitly on the worker that ran it). NULL: no attempt has run yet, or it
-- ran before this was recorded.
ALTER TABLE "Deployment" ADD COLUMN "sandbox" TEXT;
