-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "liveDeploymentId" UUID;

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "cancelRequestedAt" TIMESTAMP(3),
ADD COLUMN     "releaseLog" TEXT,
ADD COLUMN     "releasePid" INTEGER,
ADD COLUMN     "releasePort" INTEGER,
ADD COLUMN     "releaseStartedAt" TIMESTAMP(3),
ADD COLUMN     "releaseStoppedAt" TIMESTAMP(3),
ADD COLUMN     "supersededById" UUID;

-- AlterTable
ALTER TABLE "DeploymentStep" ADD COLUMN     "evidenceLine" INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "Project_liveDeploymentId_key" ON "Project"("liveDeploymentId");

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_liveDeploymentId_fkey" FOREIGN KEY ("liveDeploymentId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

