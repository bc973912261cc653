-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "releaseStartTicks" BIGINT;

-- AlterTable
ALTER TABLE "DeploymentStep" ADD COLUMN     "attempt" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pgid" INTEGER,
ADD COLUMN     "pgidStartTicks" BIGINT;

