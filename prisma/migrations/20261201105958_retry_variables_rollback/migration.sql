-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "fromStep" TEXT,
ADD COLUMN     "releaseDigest" TEXT,
ADD COLUMN     "releaseDigestStep" TEXT,
ADD COLUMN     "releaseDir" TEXT,
ADD COLUMN     "requestedBy" TEXT,
ADD COLUMN     "retryNumber" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "retryOfId" UUID,
ADD COLUMN     "rollbackToId" UUID;

-- CreateTable
CREATE TABLE "ProjectVariable" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "valueEncrypted" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "secret" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProjectVariable_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ProjectVariable_projectId_name_key" ON "ProjectVariable"("projectId", "name");

-- AddForeignKey
ALTER TABLE "ProjectVariable" ADD CONSTRAINT "ProjectVariable_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_rollbackToId_fkey" FOREIGN KEY ("rollbackToId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

