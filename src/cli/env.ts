import type { Config } from "../config.js";
import {
  type Assignment,
  listVariables,
  setVariables,
  unsetVariables,
  type VariableDeps,
} from "../deploys/project-variables.js";
import { UsageError } from "../errors.js";
import { loadKeyring } from "../secrets/keyring.js";
import { connectDb } from "../store/prisma.js";

const HIDDEN = "******** (secret; --reveal shows it)";

/** `coduck-worker env set --project P KEY=VALUE… [--secret]`. */
export async function envSetCommand(
  config: Config,
  pairs: string[],
  options: { project: string; secret?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const assignments = pairs.map(assignment);
  await withVariables(config, async (deps) => {
    await setVariables(deps, {
      project: options.project,
      assignments,
      secret: options.secret === true,
    });
  });
  const names = assignments.map((a) => a.name).join(", ");
  out.write(
    `set ${names}${options.secret ? " (secret)" : ""} for ${options.project}; the next deploy gets ${assignments.length > 1 ? "them" : "it"}\n`,
  );
}

/** `coduck-worker env list --project P [--reveal] [--json]`: secret values hidden by default. */
export async function envListCommand(
  config: Config,
  options: { project: string; reveal?: boolean; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const variables = await withVariables(config, (deps) =>
    listVariables(deps, { project: options.project, reveal: options.reveal === true }),
  );
  if (options.json) {
    out.write(`${JSON.stringify(variables, null, 2)}\n`);
  } else if (variables.length === 0) {
    out.write(`no variables for ${options.project}\n`);
  } else {
    const width = Math.max(...variables.map((v) => v.name.length));
    for (const v of variables) {
      const shown = v.value === null ? HIDDEN : printable(v.value);
      out.write(
        `${v.name.padEnd(width)}  ${shown}${v.secret && v.value !== null ? "  (secret)" : ""}\n`,
      );
    }
  }
}

/** `coduck-worker env unset --project P KEY…`. */
export async function envUnsetCommand(
  config: Config,
  names: string[],
  options: { project: string },
  out: NodeJS.WritableStream,
): Promise<void> {
  await withVariables(config, (deps) => unsetVariables(deps, { project: options.project, names }));
  out.write(`unset ${names.join(", ")} for ${options.project}; the next deploy goes without\n`);
}

function assignment(pair: string): Assignment {
  const at = pair.indexOf("=");
  if (at <= 0) throw new UsageError(`expected KEY=VALUE, not ${JSON.stringify(pair)}`);
  return { name: pair.slice(0, at), value: pair.slice(at + 1) };
}

/** A value on one line: one with line breaks or other control characters is shown as JSON. */
function printable(value: string): string {
  const control = [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  return control ? JSON.stringify(value) : value;
}

async function withVariables<T>(config: Config, work: (deps: VariableDeps) => Promise<T>) {
  const db = connectDb(config.databaseUrl);
  try {
    const keyring = await loadKeyring(config.secretsKey, config.dataDir);
    return await work({ db, keyring });
  } finally {
    await db.$disconnect();
  }
}
