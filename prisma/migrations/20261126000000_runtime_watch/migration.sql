-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "degradedAt" TIMESTAMP(3),
ADD COLUMN     "degradedCode" TEXT,
ADD COLUMN     "degradedEvidence" TEXT;

