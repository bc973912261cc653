import { existsSync, lstatSync, readlinkSync } from "node:fs";

/**
 * bubblewrap arguments that show the system's programs and libraries read-only (no /etc), as a
 * worker-run helper box needs them: a copy's `cp`, say. Merged-/usr links are kept as links.
 */
export function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    if (!existsSync(dir)) continue;
    if (lstatSync(dir).isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  return args;
}
