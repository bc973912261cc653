-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "databaseSizeBytes" BIGINT;

-- AlterTable
ALTER TABLE "ProjectDatabase" ADD COLUMN     "provisionedAt" TIMESTAMP(3);

