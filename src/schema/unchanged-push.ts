import type { Db } from "../store/prisma.js";
import { lastSchemaPush, recordSchemaPush } from "../store/schema-pushes.js";
import { catalogFingerprint } from "./catalog-fingerprint.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { prismaVersion } from "./prisma-version.js";
import { pushInputsHash } from "./push-inputs-hash.js";

export type UnchangedPushInput = {
  db: Db;
  projectId: string;
  deploymentId: string;
  appDir: string;
  schema: PrismaSchemaLocation;
  /** The project database's direct URL: the catalog is read as the project's own role. */
  directUrl: string;
  /** The variables the push runs with (the app's, DIRECT_URL among them). */
  env: Record<string, string>;
};

export type PushDecision =
  /** Nothing for the push to do: `line` says since when. */
  | { skip: true; line: string }
  /**
   * The push runs, for the reason `line` gives; once it (and the schema gate) succeeded,
   * `record` keeps what it was made from and the catalog it left, for the next deploy. Null
   * when its inputs cannot be pinned down: nothing is recorded, so it runs every time.
   */
  | {
      skip: false;
      line: string;
      record: (() => Promise<string>) | null;
      /** The push's inputs (push-inputs-hash), when they could be pinned down. */
      inputsHash: string | null;
    };

/**
 * Whether the worker's own `prisma db push` provably has nothing to do: the same inputs
 * (push-inputs-hash) as the last push that worked into this project's database, and the
 * database's catalog (catalog-fingerprint) exactly as that push left it, so a table dropped or
 * a column changed out of band is pushed again. Anything that cannot be read or compared makes
 * the push run; a push that fails records nothing. Never decides for a preStart: that always runs.
 */
export async function decidePush(input: UnchangedPushInput): Promise<PushDecision> {
  const version = await prismaVersion(input.appDir);
  // Without a Prisma CLI the push itself fails and says why.
  if (!version) return { skip: false, line: "db push runs", record: null, inputsHash: null };
  const inputs = await pushInputsHash({ ...input, version }).catch((error: unknown) => ({
    unknown: `could not read them (${String(error)})`,
  }));
  if ("unknown" in inputs) {
    return {
      skip: false,
      line: `db push runs: what it is made from cannot be compared (${inputs.unknown}), so it runs on every deploy`,
      record: null,
      inputsHash: null,
    };
  }
  const hash = inputs.hash;
  const record = async () => {
    const catalogHash = await catalogFingerprint(input.directUrl);
    await recordSchemaPush(input.db, input.projectId, {
      deploymentId: input.deploymentId,
      inputsHash: hash,
      catalogHash,
    });
    return `recorded the push (hash ${short(hash)}) and the database's catalog after it (${short(catalogHash)})`;
  };
  const last = await lastSchemaPush(input.db, input.projectId);
  if (!last)
    return {
      skip: false,
      line: "db push runs: no earlier push recorded for this project's database",
      record,
      inputsHash: hash,
    };
  const since = `deployment ${last.deploymentId}`;
  if (last.inputsHash !== hash) {
    return {
      skip: false,
      line: `db push runs: the schema, its config, Prisma or the packages it loads, or the variables changed since ${since} (hash ${short(last.inputsHash)} → ${short(hash)})`,
      record,
      inputsHash: hash,
    };
  }
  const catalog = await catalogFingerprint(input.directUrl).catch((error: unknown) => error);
  if (typeof catalog !== "string") {
    return {
      skip: false,
      line: `db push runs: could not read the database's catalog to compare (${String(catalog)})`,
      record,
      inputsHash: hash,
    };
  }
  if (catalog !== last.catalogHash) {
    return {
      skip: false,
      line: `db push runs: the schema is unchanged since ${since} (hash ${short(hash)}), but the database's tables, columns, indexes, constraints or types changed since that push`,
      record,
      inputsHash: hash,
    };
  }
  return {
    skip: true,
    line: `schema unchanged since ${since} (hash ${short(hash)}…): db push skipped; the database's catalog is as that push left it (${short(catalog)}…), and it passed the schema check then`,
  };
}

const short = (hash: string) => hash.slice(0, 12);
