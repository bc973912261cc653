import type { Config } from "../config.js";
import type { BackupStore } from "./backup-store.js";
import { DirectoryBackupStore } from "./directory-backup-store.js";

/** The backup store the configuration names: today always a directory, BACKUP_DIR. */
export function openBackupStore(config: Pick<Config, "backups">): BackupStore {
  return new DirectoryBackupStore(config.backups.dir);
}
