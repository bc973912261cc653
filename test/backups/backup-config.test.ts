import { loadConfig } from "../../src/config.js";
import type { ConfigError } from "../../src/errors.js";

describe("backup configuration", () => {
  it("keeps backups under DATA_DIR by default, or in BACKUP_DIR", () => {
    const defaults = loadConfig({ DATA_DIR: "/srv/coduck" });
    expect(defaults.backups).toEqual({
      dir: "/srv/coduck/backups",
      keep: 7,
      keepDays: 7,
      pruneEveryMs: 3_600_000,
    });
    expect(defaults.pgBinDir).toBeUndefined();
    const set = loadConfig({
      BACKUP_DIR: "/mnt/backups",
      BACKUP_KEEP: "3",
      BACKUP_KEEP_DAYS: "0",
      PG_BIN_DIR: "/usr/lib/postgresql/16/bin",
    });
    expect(set.backups).toMatchObject({ dir: "/mnt/backups", keep: 3, keepDays: 0 });
    expect(set.pgBinDir).toBe("/usr/lib/postgresql/16/bin");
  });

  it("names a bad retention value", () => {
    try {
      loadConfig({ BACKUP_KEEP: "-1", BACKUP_PRUNE_EVERY_MINUTES: "0" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "BACKUP_KEEP: expected a whole number from 0 to 10000",
        "BACKUP_PRUNE_EVERY_MINUTES: expected a whole number from 1 to 10080",
      ]);
    }
  });
});
