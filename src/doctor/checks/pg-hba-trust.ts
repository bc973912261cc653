import { adminUrl } from "../../provisioning/admin-session.js";
import { type Check, ok, warn } from "../check.js";

type TrustLine = {
  line_number: number;
  type: string;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
};

/**
 * pg_hba.conf lines that let a connection in without a password (`trust`): a `host` line
 * means whoever reaches Postgres over TCP from that address (an app, unless its box keeps it
 * off the host's loopback) logs in as any role it names, a superuser included; a `local` line
 * means the same for whoever reaches its unix socket. Warns naming each line, since a
 * development machine may mean it; read as the admin (pg_hba_file_rules is a superuser's).
 */
export const pgHbaTrust: Check = {
  name: "pg-hba",
  async run(ctx) {
    let lines: TrustLine[];
    try {
      lines = await ctx.withPostgres(adminUrl(ctx.config.adminDatabaseUrl), async (client) => {
        const { rows } = await client.query<TrustLine>(
          `SELECT line_number, type, database, user_name, address, netmask
             FROM pg_catalog.pg_hba_file_rules
            WHERE auth_method OPERATOR(pg_catalog.=) 'trust' AND error IS NULL
            ORDER BY line_number`,
        );
        return rows;
      });
    } catch (error) {
      return warn(
        `pg_hba.conf was not checked for trust lines: ${(error as Error).message}`,
        "see admin-role; pg_hba_file_rules is readable by a superuser",
      );
    }
    if (lines.length === 0)
      return ok("pg_hba.conf has no trust line: every connection needs a password");
    const described = lines.map(describe).join("; ");
    const overTcp = lines.some((line) => line.type !== "local");
    return warn(
      `pg_hba.conf lets connections in without a password: ${described}. ${
        overTcp
          ? "Whoever reaches Postgres over TCP from there logs in as any role, a superuser included"
          : "Whoever reaches Postgres' unix socket logs in as any role, a superuser included"
      }${
        overTcp && ctx.config.pgbouncer.lookupSchema === "public"
          ? `; PgBouncer's own connections come from there too, and with its lookup in public (PGBOUNCER_LOOKUP_SCHEMA), which a project's role owns, a tenant that replaces user_lookup() logs in through PgBouncer as any role`
          : ""
      }`,
      "use scram-sha-256 instead of trust on these lines (keep trust, if at all, for `local` lines of roles no app can reach), then SELECT pg_reload_conf(); and PGBOUNCER_LOOKUP_SCHEMA=coduck (a schema the admin owns) with PgBouncer's auth_query naming it",
    );
  },
};

function describe(line: TrustLine): string {
  const address = line.address
    ? ` ${line.address}${line.netmask ? `/${maskBits(line.netmask) ?? line.netmask}` : ""}`
    : "";
  return `line ${line.line_number}: ${line.type} ${(line.database ?? []).join(",")} ${(line.user_name ?? []).join(",")}${address} trust`;
}

/** 255.255.255.0 → 24; null for a mask that is not a run of ones (or an IPv6 one). */
function maskBits(netmask: string): number | null {
  const octets = netmask.split(".").map(Number);
  if (octets.length !== 4) return null;
  const bits = octets.map((o) => o.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? 32 : bits.indexOf("0")) : null;
}
