import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { type Keyring, loadKeyring, parseKeyring } from "../../secrets/keyring.js";
import { open } from "../../secrets/secret-box.js";
import { withTimeout } from "../../with-timeout.js";
import { type Check, fail, ok, warn } from "../check.js";
import type { DoctorContext } from "../doctor-context.js";

type ProvisionedProject = {
  slug: string;
  databaseName: string;
  passwordEncrypted: string;
  keyVersion: number;
};

/**
 * PgBouncer answers at PGBOUNCER_HOST:PORT, and its auth_query lookup lets a project's role in:
 * connects through it as the role of a provisioned project, exactly as that project's app does.
 */
export const pgbouncerLookup: Check = {
  name: "pgbouncer",
  async run(ctx) {
    const { host, port } = ctx.config.pgbouncer;
    const where = `${host}:${port}`;
    const reached = await reachable(host, port);
    if (reached !== true) {
      return fail(
        `PgBouncer at ${where} cannot be reached: ${reached}`,
        "start PgBouncer, or set PGBOUNCER_HOST and PGBOUNCER_PORT to where it listens",
      );
    }
    const project = await provisionedProject(ctx).catch(() => undefined);
    if (project === undefined)
      return warn(
        `PgBouncer at ${where} accepts connections; its lookup was not checked: the worker's database cannot be read`,
        "see postgres",
      );
    if (project === null)
      return ok(
        `PgBouncer at ${where} accepts connections (no project provisioned yet to log in as)`,
      );
    const keyring = await readKeyring(ctx);
    if (!keyring)
      return warn(
        `PgBouncer at ${where} accepts connections; its lookup was not checked: no SECRETS_KEY to open project passwords with`,
        "set SECRETS_KEY as the workers have it",
      );
    let password: string;
    try {
      password = open(keyring, {
        ciphertext: project.passwordEncrypted,
        keyVersion: project.keyVersion,
      });
    } catch {
      return fail(
        `SECRETS_KEY does not open project ${project.slug}'s stored password`,
        "set SECRETS_KEY to the key the workers use (keep old versions while rotating)",
      );
    }
    try {
      const url = new URL(`postgresql://${host.includes(":") ? `[${host}]` : host}:${port}`);
      url.pathname = `/${project.databaseName}`;
      url.username = project.databaseName;
      url.password = encodeURIComponent(password);
      await ctx.withPostgres(url.toString(), (client) => client.query("SELECT 1"));
      return ok(
        `PgBouncer at ${where}: logged in through its lookup as project ${project.slug}'s role`,
      );
    } catch (error) {
      const message = (error as Error).message.replaceAll(password, "*****");
      return fail(
        `PgBouncer at ${where} refused project ${project.slug}'s role: ${message}`,
        /bouncer config error|user_lookup|does not exist/.test(message)
          ? `run \`coduck-worker db repair --project ${project.slug}\` (the lookup function is missing or broken)`
          : "check that PgBouncer's auth_file holds pgbouncer_auth's password (PGBOUNCER_AUTH_PASSWORD) and that its auth_query names PGBOUNCER_LOOKUP_SCHEMA",
      );
    }
  },
};

/** true, or why not. */
async function reachable(host: string, port: number): Promise<true | string> {
  const attempt = new Promise<true | string>((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  return withTimeout(attempt, 3_000, "connect").catch((error: Error) => error.message);
}

/** The most recently verified provisioned project; null when there is none. */
async function provisionedProject(ctx: DoctorContext): Promise<ProvisionedProject | null> {
  return ctx.withPostgres(ctx.config.databaseUrl, async (client) => {
    const { rows } = await client.query<ProvisionedProject>(
      `SELECT p.slug, d."databaseName", d."passwordEncrypted", d."keyVersion"
       FROM "ProjectDatabase" d JOIN "Project" p ON p.id = d."projectId"
       WHERE d."provisionedAt" IS NOT NULL
       ORDER BY d."verifiedAt" DESC NULLS LAST LIMIT 1`,
    );
    return rows[0] ?? null;
  });
}

/** SECRETS_KEY, or the key file a single-machine worker made; never creates one. */
async function readKeyring(ctx: DoctorContext): Promise<Keyring | null> {
  if (ctx.config.secretsKey) return parseKeyring(ctx.config.secretsKey);
  if (!existsSync(path.join(ctx.config.dataDir, "secrets.key"))) return null;
  return loadKeyring(undefined, ctx.config.dataDir);
}

/**
 * The URL through PgBouncer of the most recently verified project's role, as its app has it;
 * null when no project is provisioned or its password cannot be opened.
 */
export async function projectPooledUrl(
  ctx: DoctorContext,
): Promise<{ url: string; slug: string; password: string } | null> {
  const project = await provisionedProject(ctx);
  const keyring = project && (await readKeyring(ctx));
  if (!project || !keyring) return null;
  const password = open(keyring, {
    ciphertext: project.passwordEncrypted,
    keyVersion: project.keyVersion,
  });
  const { host, port } = ctx.config.pgbouncer;
  const url = new URL(`postgresql://${host.includes(":") ? `[${host}]` : host}:${port}`);
  url.pathname = `/${project.databaseName}`;
  url.username = project.databaseName;
  url.password = encodeURIComponent(password);
  return { url: url.toString(), slug: project.slug, password };
}
