-- A move's freeze of its source, on its record (issue 24): when its backup stage froze the
-- source's role read-only (set before the role changes, under the role's freeze lock) and when
-- a failed move's unfreeze made it writable again (set once the reset is done). A deploy of a
-- project whose latest move failed with its source frozen and not yet unfrozen, while the
-- project still lives on that source, waits for the unfreeze instead of running on a database
-- that refuses writes. No semicolons in these comments: the script runner splits at each one.

ALTER TABLE "ProjectMove" ADD COLUMN "sourceFrozenAt" TIMESTAMP(3),
  ADD COLUMN "sourceUnfrozenAt" TIMESTAMP(3);
