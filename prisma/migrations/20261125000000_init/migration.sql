-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "DeploymentStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted');

-- CreateTable
CREATE TABLE "Project" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "repoUrl" TEXT,
    "branch" TEXT NOT NULL DEFAULT 'main',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProjectDatabase" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "databaseName" TEXT NOT NULL,
    "roleName" TEXT NOT NULL,
    "passwordEncrypted" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "verifiedAt" TIMESTAMP(3),

    CONSTRAINT "ProjectDatabase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "status" "DeploymentStatus" NOT NULL DEFAULT 'queued',
    "trigger" TEXT NOT NULL DEFAULT 'cli',
    "repoUrl" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "commitSha" TEXT,
    "errorCode" TEXT,
    "hint" TEXT,
    "warnings" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeploymentStep" (
    "id" UUID NOT NULL,
    "deploymentId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "StepStatus" NOT NULL DEFAULT 'pending',
    "command" TEXT,
    "exitCode" INTEGER,
    "signal" TEXT,
    "durationMs" INTEGER,
    "errorCode" TEXT,
    "hint" TEXT,
    "evidence" TEXT,
    "skipReason" TEXT,
    "logTail" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "DeploymentStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepLogLine" (
    "id" BIGSERIAL NOT NULL,
    "stepId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stream" TEXT NOT NULL,
    "line" TEXT NOT NULL,

    CONSTRAINT "StepLogLine_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Project_slug_key" ON "Project"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "ProjectDatabase_projectId_key" ON "ProjectDatabase"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "ProjectDatabase_databaseName_key" ON "ProjectDatabase"("databaseName");

-- CreateIndex
CREATE UNIQUE INDEX "ProjectDatabase_roleName_key" ON "ProjectDatabase"("roleName");

-- CreateIndex
CREATE INDEX "Deployment_projectId_queuedAt_idx" ON "Deployment"("projectId", "queuedAt");

-- CreateIndex
CREATE INDEX "Deployment_status_queuedAt_idx" ON "Deployment"("status", "queuedAt");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentStep_deploymentId_position_key" ON "DeploymentStep"("deploymentId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentStep_deploymentId_name_key" ON "DeploymentStep"("deploymentId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "StepLogLine_stepId_seq_key" ON "StepLogLine"("stepId", "seq");

-- AddForeignKey
ALTER TABLE "ProjectDatabase" ADD CONSTRAINT "ProjectDatabase_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeploymentStep" ADD CONSTRAINT "DeploymentStep_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepLogLine" ADD CONSTRAINT "StepLogLine_stepId_fkey" FOREIGN KEY ("stepId") REFERENCES "DeploymentStep"("id") ON DELETE CASCADE ON UPDATE CASCADE;

