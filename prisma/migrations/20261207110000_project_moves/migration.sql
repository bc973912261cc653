-- Moving a project between hosts (issue 24): one record per move, its stages run as jobs on the
-- source's and the target's queues. At most one move of a project is running at a time.

-- CreateTable
CREATE TABLE "ProjectMove" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "fromHostId" TEXT NOT NULL,
    "toHostId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "stage" TEXT NOT NULL DEFAULT 'backup',
    "fromDatabase" TEXT NOT NULL,
    "fromRole" TEXT NOT NULL,
    "fromCluster" TEXT,
    "toCluster" TEXT,
    "backupId" UUID,
    "restoreId" UUID,
    "deploymentId" UUID,
    "error" TEXT,
    "log" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "requestedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "switchedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "cleanupStatus" TEXT,
    "cleanupError" TEXT,
    "cleanedAt" TIMESTAMP(3),

    CONSTRAINT "ProjectMove_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ProjectMove_projectId_createdAt_idx" ON "ProjectMove"("projectId", "createdAt");
CREATE UNIQUE INDEX "ProjectMove_one_running" ON "ProjectMove"("projectId") WHERE "status" = 'running';

-- AddForeignKey
ALTER TABLE "ProjectMove" ADD CONSTRAINT "ProjectMove_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
