/**
 * Shared by the Prisma and Drizzle capture scripts: a fresh platform-shaped database per case
 * (dropped and provisioned again, so a rerun starts from the same state), the environment the
 * deploy steps give an app, and a case filter from the command line.
 */
import { type CaptureSpec, capture } from "./capture.js";
import { dropPlatformProject, type PlatformProject, platformProject } from "./platform-project.js";

/** A case whose database is provisioned fresh by the platform before it runs. */
export type DbCase = Omit<CaptureSpec, "env" | "scrub"> & {
  /**
   * Which URL the step gives the app as DATABASE_URL: `schema` (preStart and the automatic
   * push run with DIRECT_URL as DATABASE_URL) or `app` (start and runtime: the pooled URL).
   */
  urls: "schema" | "app";
  /** Extra env; a function gets the project (e.g. a URL with a wrong port or password). */
  env?: (project: PlatformProject) => Record<string, string>;
};

function slugFor(id: string): string {
  return `cx-${id}`.slice(0, 40).replace(/-+$/, "");
}

export async function runDbCase(file: string, spec: DbCase): Promise<void> {
  const slug = slugFor(spec.id);
  try {
    dropPlatformProject(slug);
  } catch {}
  const project = platformProject(slug);
  const database = spec.urls === "schema" ? project.directUrl : project.databaseUrl;
  const captured = await capture(file, {
    ...spec,
    env: {
      DATABASE_URL: database,
      DIRECT_URL: project.directUrl,
      NODE_ENV: "production",
      // As npm scripts and the worker run commands: the app's own binaries first.
      PATH: `node_modules/.bin:${process.env.PATH}`,
      ...spec.env?.(project),
    },
    scrub: project.names,
  });
  console.log(
    `${captured.id}: exit ${captured.exitCode}, ${captured.log.split("\n").length} lines`,
  );
}

/** Runs the cases whose id contains one of the first argument's comma-separated parts (all without one). */
export async function runAll(file: string, cases: DbCase[]): Promise<void> {
  const filters = (process.argv[2] ?? "").split(",");
  const failed: string[] = [];
  for (const spec of cases.filter((c) => filters.some((f) => c.id.includes(f)))) {
    try {
      await runDbCase(file, spec);
    } catch (error) {
      failed.push(spec.id);
      console.error(`${spec.id}: NOT CAPTURED: ${(error as Error).message.slice(0, 3000)}`);
    }
  }
  if (failed.length > 0) {
    console.error(`not captured: ${failed.join(", ")}`);
    process.exitCode = 1;
  }
}

/** A URL with one part changed (port, password, a search parameter). */
export function changeUrl(url: string, change: (u: URL) => void): string {
  const u = new URL(url);
  change(u);
  return u.toString();
}

/** psql on DIRECT_URL, stopping at the first error (for a case's `prepare`). */
export function sql(statements: string): string {
  return `psql "$DIRECT_URL" -q -v ON_ERROR_STOP=1 -c ${shellQuote(statements)}`;
}

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
