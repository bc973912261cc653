-- A step's stored log moves from one row per line to one row per write (see StepLogChunk in
-- schema.prisma). Every stored line is kept: each becomes a chunk of its own.

-- CreateTable
CREATE TABLE "StepLogChunk" (
    "stepId" UUID NOT NULL,
    "firstSeq" INTEGER NOT NULL,
    "lastSeq" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "streams" TEXT NOT NULL,
    "lines" TEXT NOT NULL,

    CONSTRAINT "StepLogChunk_pkey" PRIMARY KEY ("stepId","firstSeq")
);

-- AddForeignKey
ALTER TABLE "StepLogChunk" ADD CONSTRAINT "StepLogChunk_stepId_fkey" FOREIGN KEY ("stepId") REFERENCES "DeploymentStep"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The lines stored so far. A line never held "\n": should one have, it stays one line.
INSERT INTO "StepLogChunk" ("stepId", "firstSeq", "lastSeq", "at", "streams", "lines")
SELECT "stepId", "seq", "seq", "at",
       CASE "stream" WHEN 'stdout' THEN 'o' WHEN 'stderr' THEN 'e' ELSE 's' END,
       replace("line", E'\n', ' ')
FROM "StepLogLine";

-- DropTable
DROP TABLE "StepLogLine";
