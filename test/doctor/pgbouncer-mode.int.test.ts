import type { Config } from "../../src/config.js";
import { pgbouncerMode } from "../../src/doctor/checks/pgbouncer-mode.js";
import { createDoctorContext } from "../../src/doctor/doctor-context.js";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { LEGACY_PGBOUNCER_BIN, type PgBouncer, startPgBouncer } from "../helpers/pgbouncer.js";
import {
  createTestStack,
  TEST_PGBOUNCER_AUTH_PASSWORD,
  type TestStack,
} from "../helpers/test-worker.js";

// Real PgBouncers: 1.24 as the platform runs it, and Debian bookworm's 1.18, each with and
// without pgbouncer_auth in stats_users (which SHOW VERSION and SHOW CONFIG need).
let stack: TestStack;
const bouncers: PgBouncer[] = [];

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  // The project whose role the inference logs in as.
  await ensureProjectDatabase(
    { db: stack.db, config: stack.config, keyring: stack.keyring },
    "mode-app",
  );
}, 60_000);
afterAll(async () => {
  for (const bouncer of bouncers) await bouncer.stop();
  await stack?.close();
});

async function check(
  bouncer: { port: number } | null,
  maxPreparedStatements = stack.config.pgbouncer.maxPreparedStatements,
) {
  const config: Config = {
    ...stack.config,
    pgbouncer: {
      ...stack.config.pgbouncer,
      ...(bouncer && { port: bouncer.port }),
      maxPreparedStatements,
    },
  };
  const ctx = createDoctorContext(config);
  try {
    return await pgbouncerMode.run(ctx);
  } finally {
    await ctx.close();
  }
}

async function bouncer(options: Parameters<typeof startPgBouncer>[0]) {
  const started = await startPgBouncer(options);
  bouncers.push(started);
  return started;
}

const AUTH = { authPassword: TEST_PGBOUNCER_AUTH_PASSWORD };

describe("doctor pgbouncer-mode", () => {
  it("reads 1.24's version and settings from its console when pgbouncer_auth is a stats user", async () => {
    const platform = await bouncer({ ...AUTH, statsUsers: ["pgbouncer_auth"] });
    const result = await check(platform);
    expect(result.status).toBe("ok");
    expect(result.message).toMatch(
      /^PgBouncer 1\.24\.\d+, pool_mode transaction, max_prepared_statements 100, as PGBOUNCER_MAX_PREPARED_STATEMENTS says/,
    );
    // The worker believes another value than PgBouncer runs with.
    expect(await check(platform, 50)).toMatchObject({
      status: "warn",
      fix: "set PGBOUNCER_MAX_PREPARED_STATEMENTS=100 (what PgBouncer runs with), or max_prepared_statements = 50 in pgbouncer.ini",
    });
  });

  it("fails 1.18 when PGBOUNCER_MAX_PREPARED_STATEMENTS > 0, and passes it with 0", async () => {
    const legacy = await bouncer({
      ...AUTH,
      bin: LEGACY_PGBOUNCER_BIN,
      maxPreparedStatements: 0,
      statsUsers: ["pgbouncer_auth"],
    });
    const result = await check(legacy, 100);
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/^PgBouncer 1\.18\.\d+, pool_mode transaction/);
    expect(result.message).toContain("needs PgBouncer 1.21 or later");
    expect((await check(legacy, 0)).status).toBe("ok");
  });

  it("without console access, infers transaction pooling and prepared statements as a project's role", async () => {
    // The stack's own PgBouncer: 1.24, max_prepared_statements = 100, no stats_users.
    const platform = await check(null);
    expect(platform.status).toBe("ok");
    expect(platform.message).toContain(
      "as project mode-app's role: transaction pooling, and a named prepared statement survived a change of server connection",
    );
    expect(platform.message).toContain("add pgbouncer_auth to stats_users");

    const legacy = await bouncer({ ...AUTH, bin: LEGACY_PGBOUNCER_BIN, maxPreparedStatements: 0 });
    const result = await check(legacy, 100);
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(
      /a named prepared statement did not survive a change of server connection \(prepared statement "coduck_doctor_probe" does not exist\)/,
    );
  });
});
