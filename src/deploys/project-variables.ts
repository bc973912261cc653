import {
  forbiddenVariable,
  MAX_VARIABLE_VALUE,
  RESERVED_VARIABLES,
  RESERVED_VARIABLES_REASON,
  VARIABLE_NAME,
} from "../apps/coduck-json.js";
import type { Keyring } from "../secrets/keyring.js";
import { open, seal } from "../secrets/secret-box.js";
import type { Db } from "../store/prisma.js";
import {
  listProjectVariables,
  projectIdOf,
  setProjectVariables,
  unsetProjectVariables,
} from "../store/project-variables.js";
import { projectSlug } from "./deploy-request.js";
import { OperationRefusedError } from "./operation-refused.js";

export type VariableDeps = { db: Db; keyring: Keyring };
export type Assignment = { name: string; value: string };
export type ShownVariable = {
  name: string;
  value: string | null;
  secret: boolean;
  updatedAt: string;
};

/**
 * Sets project variables the platform keeps (encrypted) and injects into every app command of
 * the project's next deploys. Every name and value is checked before anything is written:
 * variable names only, none the platform reserves, none the loader acts on (forbiddenVariable),
 * no NUL, at most 64 KiB.
 */
export async function setVariables(
  deps: VariableDeps,
  request: { project: string; assignments: readonly Assignment[]; secret: boolean },
): Promise<void> {
  if (request.assignments.length === 0)
    throw new OperationRefusedError("invalid", "give at least one KEY=VALUE");
  const seen = new Set<string>();
  for (const { name, value } of request.assignments) {
    checkSettable(name);
    if (seen.has(name)) throw new OperationRefusedError("invalid", `${name} is given twice`);
    seen.add(name);
    if (value.includes("\u0000"))
      throw new OperationRefusedError("invalid", `${name}: a value cannot contain a NUL character`);
    if (value.length > MAX_VARIABLE_VALUE)
      throw new OperationRefusedError("invalid", `${name}: a value can be at most 64 KiB`);
  }
  const projectId = await requireProject(deps.db, request.project);
  await setProjectVariables(
    deps.db,
    projectId,
    request.assignments.map(({ name, value }) => {
      const sealed = seal(deps.keyring, value);
      return {
        name,
        valueEncrypted: sealed.ciphertext,
        keyVersion: sealed.keyVersion,
        secret: request.secret,
      };
    }),
  );
}

/** A project's variables; secret values are null unless `reveal`. */
export async function listVariables(
  deps: VariableDeps,
  request: { project: string; reveal: boolean },
): Promise<ShownVariable[]> {
  const projectId = await requireProject(deps.db, request.project);
  const stored = await listProjectVariables(deps.db, projectId);
  return stored.map((v) => ({
    name: v.name,
    value:
      v.secret && !request.reveal
        ? null
        : open(deps.keyring, { ciphertext: v.valueEncrypted, keyVersion: v.keyVersion }),
    secret: v.secret,
    updatedAt: v.updatedAt.toISOString(),
  }));
}

/** Removes variables; a name that is not set is refused, and then nothing is removed. */
export async function unsetVariables(
  deps: VariableDeps,
  request: { project: string; names: readonly string[] },
): Promise<void> {
  if (request.names.length === 0)
    throw new OperationRefusedError("invalid", "give at least one KEY");
  for (const name of request.names) checkName(name);
  const projectId = await requireProject(deps.db, request.project);
  const set = new Set((await listProjectVariables(deps.db, projectId)).map((v) => v.name));
  const missing = request.names.filter((name) => !set.has(name));
  if (missing.length > 0) {
    throw new OperationRefusedError(
      "not-found",
      `${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set for project ${request.project}; nothing was removed`,
    );
  }
  await unsetProjectVariables(deps.db, projectId, request.names);
}

function checkName(name: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new OperationRefusedError(
      "invalid",
      `${JSON.stringify(name)} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`,
    );
  }
  if ((RESERVED_VARIABLES as readonly string[]).includes(name)) {
    throw new OperationRefusedError(
      "invalid",
      `RESERVED_ENV: ${name} is ${RESERVED_VARIABLES_REASON}; it cannot be a project variable`,
    );
  }
}

/** A name a project variable may be set to: checkName's, and none the loader acts on. */
function checkSettable(name: string): void {
  checkName(name);
  const forbidden = forbiddenVariable(name);
  if (forbidden) throw new OperationRefusedError("invalid", `${name}: ${forbidden}`);
}

async function requireProject(db: Db, project: string): Promise<string> {
  if (!projectSlug.safeParse(project).success)
    throw new OperationRefusedError(
      "invalid",
      `--project: not a project slug: ${JSON.stringify(project)}`,
    );
  const id = await projectIdOf(db, project);
  if (!id) {
    throw new OperationRefusedError(
      "not-found",
      `no project ${project}: register it with coduck-worker projects add, or deploy it once`,
    );
  }
  return id;
}
