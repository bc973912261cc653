import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { prismaPackagesDigest } from "../../src/schema/prisma-packages-digest.js";

let appDir: string;

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-prisma-packages-"));
});
afterEach(async () => {
  await rm(appDir, { recursive: true, force: true });
});

type Packages = Record<string, Record<string, unknown>>;

const pkg = (version: string, dependencies?: Record<string, string>) => ({
  version,
  resolved: `https://registry.npmjs.org/x/-/x-${version}.tgz`,
  integrity: `sha512-${version}`,
  ...(dependencies && { dependencies }),
});

/** A lockfile shaped as npm 11 writes one: an app with Prisma, the pg adapter and nanoid. */
function lockfile(changes: Packages = {}, drop: string[] = []): string {
  const packages: Packages = {
    "": { name: "app", dependencies: { prisma: "6.19.3", "@prisma/adapter-pg": "6.19.3" } },
    "node_modules/prisma": pkg("6.19.3", {
      "@prisma/engines": "6.19.3",
      "@prisma/config": "6.19.3",
      semver: "^7.6.0",
    }),
    "node_modules/@prisma/engines": pkg("6.19.3"),
    "node_modules/@prisma/config": pkg("6.19.3", { jiti: "^2.4.2" }),
    "node_modules/jiti": pkg("2.4.2"),
    // prisma's own copy of a package the app also has at another version
    "node_modules/prisma/node_modules/semver": pkg("7.6.0"),
    "node_modules/semver": pkg("6.3.1"),
    "node_modules/@prisma/client": { ...pkg("6.19.3"), peerDependencies: { prisma: "*" } },
    "node_modules/@prisma/adapter-pg": pkg("6.19.3", { pg: "^8.11.0" }),
    "node_modules/pg": { ...pkg("8.16.0"), optionalDependencies: { "pg-cloudflare": "^1" } },
    "node_modules/nanoid": pkg("5.1.5"),
    ...changes,
  };
  for (const key of drop) delete packages[key];
  return JSON.stringify({ name: "app", lockfileVersion: 3, requires: true, packages }, null, 2);
}

async function digest(
  text: string,
  config: string[] = ["@prisma/adapter-pg"],
  file = "package-lock.json",
) {
  await writeFile(path.join(appDir, file), text);
  return prismaPackagesDigest(appDir, config);
}

describe("what the lockfile pins of the packages Prisma loads", () => {
  it("ignores a package Prisma never loads, added, changed or at another version elsewhere", async () => {
    const before = await digest(lockfile());
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await digest(lockfile({ "node_modules/nanoid": pkg("5.1.6") }))).toBe(before);
    expect(await digest(lockfile({ "node_modules/zod": pkg("4.0.0") }))).toBe(before);
    expect(await digest(lockfile({}, ["node_modules/nanoid"]))).toBe(before);
    // The app's own semver: prisma requires its nested copy, which shadows it.
    expect(await digest(lockfile({ "node_modules/semver": pkg("6.3.2") }))).toBe(before);
  });

  it.each([
    ["the Prisma CLI", { "node_modules/prisma": pkg("6.19.4", { "@prisma/engines": "6.19.3" }) }],
    [
      "Prisma's engines, a dependency of the CLI",
      { "node_modules/@prisma/engines": pkg("6.19.4") },
    ],
    ["a dependency two levels down", { "node_modules/jiti": pkg("2.5.0") }],
    [
      "the CLI's own nested copy of a package",
      { "node_modules/prisma/node_modules/semver": pkg("7.7.0") },
    ],
    ["the client", { "node_modules/@prisma/client": pkg("6.19.4") }],
    ["the driver of the adapter the config imports", { "node_modules/pg": pkg("8.16.1") }],
    ["an optional dependency, once installed", { "node_modules/pg-cloudflare": pkg("1.2.0") }],
  ])("changes with %s", async (_what, changes) => {
    const before = await digest(lockfile());
    expect(await digest(lockfile(changes))).not.toBe(before);
  });

  it("counts the packages the config imports, and only those", async () => {
    const text = lockfile();
    const changed = lockfile({ "node_modules/pg": pkg("8.16.1") });
    expect(await digest(text, [])).toBe(await digest(changed, []));
    expect(await digest(text, ["pg"])).not.toBe(await digest(changed, ["pg"]));
  });

  it("counts the whole lockfile where it cannot pin the packages: a workspace link, npm's v1 format, another manager's", async () => {
    const linked = (nanoid: string) =>
      lockfile({
        "node_modules/@acme/db": { resolved: "packages/db", link: true },
        "node_modules/nanoid": pkg(nanoid),
      });
    expect(await digest(linked("5.1.5"), ["@acme/db"])).not.toBe(
      await digest(linked("5.1.6"), ["@acme/db"]),
    );
    const v1 = (nanoid: string) =>
      JSON.stringify({ lockfileVersion: 1, dependencies: { nanoid: { version: nanoid } } });
    expect(await digest(v1("5.1.5"))).not.toBe(await digest(v1("5.1.6")));
    await rm(path.join(appDir, "package-lock.json"));
    const pnpm = (nanoid: string) => `lockfileVersion: '9.0'\npackages:\n  nanoid@${nanoid}: {}\n`;
    expect(await digest(pnpm("5.1.5"), [], "pnpm-lock.yaml")).not.toBe(
      await digest(pnpm("5.1.6"), [], "pnpm-lock.yaml"),
    );
  });

  it("reads npm-shrinkwrap.json first, as npm does, and counts a package-lock.json beside it whole", async () => {
    await writeFile(path.join(appDir, "npm-shrinkwrap.json"), lockfile());
    const before = await digest(lockfile());
    expect(await digest(lockfile({ "node_modules/nanoid": pkg("5.1.6") }))).not.toBe(before);
  });

  it("takes a hostile lockfile without throwing or resolving through the prototype", async () => {
    for (const text of [
      "not json",
      "null",
      '{"packages":[]}',
      '{"packages":{"node_modules/prisma":"x"}}',
      '{"packages":{"node_modules/prisma":{"dependencies":{"__proto__":"1","constructor":"1","../../etc":"1"}}}}',
      '{"packages":{"__proto__":{"dependencies":{"x":"1"}}}}',
    ]) {
      await expect(digest(text)).resolves.toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("bounds the work a hostile lockfile asks for, and then counts it whole", async () => {
    // Deep nesting of long names, each level needing dozens of packages that are not there:
    // resolving them all would hash billions of characters and block the worker for minutes.
    const packages: Packages = {
      "node_modules/prisma": pkg("6.19.3", { [`${"a".repeat(199)}0`]: "1" }),
    };
    let key = "node_modules/prisma";
    for (let level = 0; level < 200; level++) {
      key = `${key}/node_modules/${"a".repeat(199)}${level}`;
      const missing = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`${"m".repeat(200)}${i}`, "1"]),
      );
      packages[key] = pkg("1.0.0", { ...missing, [`${"a".repeat(199)}${level + 1}`]: "1" });
    }
    const hostile = (nanoid: string) =>
      JSON.stringify({
        lockfileVersion: 3,
        packages: { ...packages, "node_modules/nanoid": pkg(nanoid) },
      });
    const started = performance.now();
    const before = await digest(hostile("5.1.5"));
    expect(performance.now() - started).toBeLessThan(5_000);
    // Counted whole: a package Prisma never loads changes it.
    expect(await digest(hostile("5.1.6"))).not.toBe(before);
    // A name longer than npm allows: counted whole as well.
    const long = (nanoid: string) =>
      lockfile({
        "node_modules/prisma": pkg("6.19.3", { ["x".repeat(300)]: "1" }),
        "node_modules/nanoid": pkg(nanoid),
      });
    expect(await digest(long("5.1.5"))).not.toBe(await digest(long("5.1.6")));
  });

  it("refuses a lockfile that is a link out of the app", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "coduck-outside-"));
    try {
      await writeFile(path.join(outside, "secret.json"), lockfile());
      const { symlink } = await import("node:fs/promises");
      await symlink(path.join(outside, "secret.json"), path.join(appDir, "package-lock.json"));
      await expect(prismaPackagesDigest(appDir, [])).rejects.toMatchObject({ code: "EOUTSIDEAPP" });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
