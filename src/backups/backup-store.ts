import type { Readable } from "node:stream";

export type StoredBackup = { sizeBytes: number; sha256: string };

/**
 * Where backup files live. Keys are `<project>/<backup id>.sql.gz`; a store may be a directory
 * (the default) or object storage, so nothing outside this interface touches paths.
 */
export interface BackupStore {
  /** Stores the body under the key, all or nothing; resolves with its size and sha256. */
  put(key: string, body: Readable): Promise<StoredBackup>;
  /** The stored bytes; rejects when there is no such key. */
  get(key: string): Promise<Readable>;
  /** Deletes a key; a missing key is not an error. */
  delete(key: string): Promise<void>;
}

export function backupKey(projectSlug: string, backupId: string): string {
  return `${projectSlug}/${backupId}.sql.gz`;
}
