-- Many hosts (issue 24): each worker registers its host with a heartbeat, and each project lives
-- on one host (placed at `projects add`, or at its first deploy), where every job of it runs.
-- Existing rows keep hostId null: a worker that is the only registered host adopts them at start
-- (store/hosts.ts, adoptUnplaced). No semicolon in a comment: the runner splits at each one.

-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'up',
    "maxProjects" INTEGER NOT NULL,
    "diskFreeBytes" BIGINT,
    "memoryAvailableBytes" BIGINT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "Project" ADD COLUMN "hostId" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "hostId" TEXT;
ALTER TABLE "Backup" ADD COLUMN "hostId" TEXT;
ALTER TABLE "Restore" ADD COLUMN "hostId" TEXT;

-- CreateIndex
CREATE INDEX "Project_hostId_idx" ON "Project"("hostId");
CREATE INDEX "Deployment_hostId_status_idx" ON "Deployment"("hostId", "status");

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Restore" ADD CONSTRAINT "Restore_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
