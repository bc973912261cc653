-- Releases run as supervisord programs behind the router (issue 21): the program's name, the
-- stable address, what supervisord did to the live release, and per-project box limits.
ALTER TABLE "Deployment" ADD COLUMN "releaseProgram" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "releaseUrl" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "releaseRestarts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Deployment" ADD COLUMN "releaseLastExit" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "releaseLastRestartAt" TIMESTAMP(3);
ALTER TABLE "Deployment" ADD COLUMN "releaseCrashedAt" TIMESTAMP(3);
ALTER TABLE "Project" ADD COLUMN "memoryLimitMb" INTEGER;
ALTER TABLE "Project" ADD COLUMN "pidsLimit" INTEGER;
ALTER TABLE "Project" ADD COLUMN "cpuShares" INTEGER;
