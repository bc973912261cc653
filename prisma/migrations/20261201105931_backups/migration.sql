-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "storageLevel" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "storageWarning" TEXT,
ADD COLUMN     "storageWarningAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Backup" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'manual',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "storageKey" TEXT,
    "sizeBytes" BIGINT,
    "sha256" TEXT,
    "databaseSizeBytes" BIGINT,
    "durationMs" INTEGER,
    "requestedBy" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Backup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Restore" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "backupId" UUID NOT NULL,
    "safetyBackupId" UUID,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "requestedBy" TEXT,
    "error" TEXT,
    "checks" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Restore_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Backup_projectId_createdAt_idx" ON "Backup"("projectId", "createdAt");

-- CreateIndex
CREATE INDEX "Backup_status_createdAt_idx" ON "Backup"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Restore_projectId_createdAt_idx" ON "Restore"("projectId", "createdAt");

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Restore" ADD CONSTRAINT "Restore_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Restore" ADD CONSTRAINT "Restore_backupId_fkey" FOREIGN KEY ("backupId") REFERENCES "Backup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

