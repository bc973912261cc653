-- The last automatic `prisma db push` that succeeded into each project's database: what it was
-- made from and the database's catalog after it (hashes), so an unchanged schema is not pushed
-- again (schema/unchanged-push.ts).
CREATE TABLE "SchemaPush" (
    "projectId" UUID NOT NULL,
    "deploymentId" UUID NOT NULL,
    "inputsHash" TEXT NOT NULL,
    "catalogHash" TEXT NOT NULL,
    "pushedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SchemaPush_pkey" PRIMARY KEY ("projectId"),
    CONSTRAINT "SchemaPush_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
