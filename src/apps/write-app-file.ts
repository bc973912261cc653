import { constants } from "node:fs";
import { mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import { inDirectory, openAppDirectory } from "./open-inside-app.js";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/**
 * Writes a file of the worker's into the app's directory without following a link the app
 * planted: the directory is opened and checked to be inside the app's directory, and the file
 * is created afresh in that very directory (never through an existing name, O_EXCL|O_NOFOLLOW).
 */
export async function writeAppFile(appDir: string, file: string, content: string): Promise<void> {
  const dir = await openAppDirectory(appDir, path.dirname(file));
  try {
    const name = inDirectory(dir, path.basename(file));
    await unlink(name).catch(ignoreMissing);
    const handle = await open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  } finally {
    await dir.close();
  }
}

/** Removes a file of the app's (a link itself, never what it points at); none is fine. */
export async function removeAppFile(appDir: string, file: string): Promise<void> {
  const dir = await openAppDirectory(appDir, path.dirname(file)).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  });
  if (!dir) return;
  try {
    await unlink(inDirectory(dir, path.basename(file))).catch(ignoreMissing);
  } finally {
    await dir.close();
  }
}

/**
 * Makes a directory of the app's, `dir` (its parent must exist), unless there is one; refuses a
 * name that is, or leads through, a link out of the app's directory.
 */
export async function makeAppDirectory(appDir: string, dir: string): Promise<void> {
  const parent = await openAppDirectory(appDir, path.dirname(dir));
  let made = false;
  try {
    await mkdir(inDirectory(parent, path.basename(dir)), 0o755).then(
      () => {
        made = true;
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      },
    );
    // What is there now (made, or found) must be a directory inside the app's.
    const created = await openAppDirectory(appDir, dir);
    try {
      // Made by root for the app to write in: it is the app's, as its parent is.
      if (made && process.getuid?.() === 0) {
        const owner = await parent.stat();
        await created.chown(owner.uid, owner.gid);
      }
    } finally {
      await created.close();
    }
  } finally {
    await parent.close();
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}
