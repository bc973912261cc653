import { execFile } from "node:child_process";
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The schema step's skip (issue 23) hashes what the push is made from in the worker's own
// process, from the release directory: files the tenant's repository or its build (hostile code
// in the box, which writes the release directory) leave there. A sparse file costs the tenant no
// disk and no quota, yet reads as hundreds of megabytes: what the worker reads must stay bounded
// by something other than the tenant's good will, or one deploy takes the worker (and every
// project's deploy on its host) down with a heap out of memory.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODULE = path.join(root, "src/schema/push-inputs-hash.ts");
const FIND = path.join(root, "src/schema/find-prisma-schema.ts");

// The worker's heap is 4 GB here; the child's is made small so that the same retention shows at
// a size this shared machine can afford (each planted file reads as 96 MB of NULs).
const HEAP_MB = 192;
const SPARSE_BYTES = 96 * 1024 * 1024;

let appDir: string;

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-push-attack-"));
  await writeFile(path.join(appDir, "package.json"), '{"name":"app"}');
  await mkdir(path.join(appDir, "prisma"));
  await writeFile(
    path.join(appDir, "prisma/schema.prisma"),
    'datasource db {\n  provider = "postgresql"\n}\nmodel A {\n  id Int @id\n}\n',
  );
});
afterEach(async () => {
  await rm(appDir, { recursive: true, force: true });
});

/** Writes `text` and then extends the file, sparsely, to SPARSE_BYTES. */
async function sparse(name: string, text: string): Promise<void> {
  const handle = await open(path.join(appDir, name), "w");
  try {
    await handle.write(text);
    await handle.truncate(SPARSE_BYTES);
  } finally {
    await handle.close();
  }
}

/** pushInputsHash of appDir in a child Node with a small heap: its exit and what it printed. */
function hashInChild(): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    const { findPrismaSchema } = await import(${JSON.stringify(FIND)});
    const { pushInputsHash } = await import(${JSON.stringify(MODULE)});
    const appDir = ${JSON.stringify(appDir)};
    const schema = await findPrismaSchema(appDir);
    const result = await pushInputsHash({ appDir, schema,
      version: { version: "6.19.3", major: 6, minor: 19, patch: 3 }, env: {} });
    process.stdout.write(JSON.stringify(result));`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: root, maxBuffer: 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? -1) : 0,
          out: stdout,
          err: stderr.slice(-2000),
        }),
    );
  });
}

describe("the push inputs' hash against a hostile release directory", () => {
  it("survives a Prisma config whose imports are large sparse files (it never holds them all)", async () => {
    await writeFile(
      path.join(appDir, "prisma.config.ts"),
      'import "./a";\nexport default { schema: "prisma/schema.prisma" };\n',
    );
    await sparse("a.ts", 'import "./b";\n');
    await sparse("b.ts", 'import "./c";\n');
    await sparse("c.ts", 'import "./d";\n');
    await sparse("d.ts", "export {};\n");
    const run = await hashInChild();
    // Before the fix: the four 96 MB texts were kept together in memory until the end, and the
    // child died of "JavaScript heap out of memory" (the worker, with bigger files, the same).
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: "" });
    // The push then runs on every deploy: the tenant gains nothing but its own slower deploys.
    expect(JSON.parse(run.out)).toEqual({ unknown: `a.ts is over ${1024 * 1024} bytes` });
  }, 180_000);
});
