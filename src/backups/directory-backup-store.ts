import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BackupStore, StoredBackup } from "./backup-store.js";

const KEY = /^[a-z0-9][a-z0-9-]{0,62}\/[0-9a-f-]{36}\.sql\.gz$/;

/**
 * Backups as files under one directory, readable only by the worker's user (a backup holds
 * every row, the Auth SDK's password hashes included). A file appears under its name only once
 * it is complete and synced.
 */
export class DirectoryBackupStore implements BackupStore {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a backup key: ${key}`);
    return path.join(this.root, key);
  }

  async put(key: string, body: Readable): Promise<StoredBackup> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    const hash = createHash("sha256");
    let sizeBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, measure, createWriteStream(partial, { mode: 0o600, flags: "wx" }));
      const handle = await open(partial, "r");
      await handle.sync().finally(() => handle.close());
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { sizeBytes, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<Readable> {
    const file = this.file(key);
    const stream = createReadStream(file);
    // Fail here, not at the first read, when the file is gone.
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
