-- Each project's app code runs as its own uid (and gid of the same number), allocated once.
ALTER TABLE "Project" ADD COLUMN "appUid" INTEGER;
CREATE UNIQUE INDEX "Project_appUid_key" ON "Project"("appUid");
