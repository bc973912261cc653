import type { Config } from "../config.js";
import { describeSchema } from "../inspection/describe-schema.js";
import { withReadOnlySession } from "../inspection/read-only-session.js";
import { projectOption } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withProvisioning } from "./with-provisioning.js";

/** `coduck-worker db schema --project P [--json]`: columns, types and indexes of every table. */
export async function dbSchemaCommand(
  config: Config,
  options: { project: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const slug = projectOption(options.project);
  const shapes = await withProvisioning(config, (deps) =>
    withReadOnlySession(deps, slug, describeSchema),
  );
  if (options.json) {
    out.write(`${JSON.stringify(shapes, null, 2)}\n`);
    return;
  }
  if (shapes.length === 0) out.write(`no tables in the database of ${slug} yet\n`);
  for (const shape of shapes) {
    out.write(`${terminalText(`${shape.schema}.${shape.name}`)} (${shape.kind})\n`);
    const width = Math.max(...shape.columns.map((c) => terminalText(c.name).length), 1);
    for (const column of shape.columns) {
      const extra = [
        column.nullable ? "" : "not null",
        column.default ? `default ${column.default}` : "",
      ]
        .filter(Boolean)
        .join("  ");
      out.write(
        `  ${terminalText(column.name).padEnd(width)}  ${terminalText(`${column.type}${extra ? `  ${extra}` : ""}`)}\n`,
      );
    }
    for (const index of shape.indexes)
      out.write(
        `  index ${terminalText(index.name)}${index.primary ? " (primary key)" : ""}: ${terminalText(index.definition)}\n`,
      );
  }
}
