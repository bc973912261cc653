import { z } from "zod";

/** Variables the platform injects into every app; an app may not set them. */
export const RESERVED_VARIABLES = ["DATABASE_URL", "DIRECT_URL", "PORT"] as const;

/** Why they are reserved (RESERVED_ENV), for every place that refuses one. */
export const RESERVED_VARIABLES_REASON =
  "reserved and injected by the platform (DATABASE_URL through PgBouncer, DIRECT_URL for migrations, PORT to listen on)";

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names glibc's dynamic loader and C library act on in any dynamically linked program: they
 * make it load code (LD_PRELOAD, LD_AUDIT, GCONV_PATH's iconv modules) or read or write a file
 * the variable names (LOCPATH, NLSPATH, MALLOC_TRACE, HOSTALIASES, ...). This is ld.so's own
 * list of variables it strips for a privileged program (glibc's unsecvars.h) and every LD_*
 * name, less TMPDIR (where a program puts scratch files; apps set it, and inside the box it
 * only ever names the box's own files). App variables reach only the app's own process inside
 * the box, after the launcher has dropped its privileges; these are refused anyway, so that
 * no slip past that line (an unsandboxed root process, a launcher that runs with them) can
 * load a tenant's library as root.
 */
const LOADER_VARIABLES = new Set([
  "GCONV_PATH",
  "GETCONF_DIR",
  "GLIBC_TUNABLES",
  "HOSTALIASES",
  "LOCALDOMAIN",
  "LOCPATH",
  "MALLOC_TRACE",
  "NIS_PATH",
  "NLSPATH",
  "RESOLV_HOST_CONF",
  "RES_OPTIONS",
  "TZDIR",
]);

/** Set by the box itself: HOME is the project's own home, PATH the system's. */
const BOX_VARIABLES = new Set(["HOME", "PATH"]);

/**
 * Why an app may not set `name` (coduck.json `env`, a project variable), or null when it may;
 * callers put the name before it. The platform's injected variables are refused apart
 * (RESERVED_ENV).
 */
export function forbiddenVariable(name: string): string | null {
  if (name.startsWith("LD_") || LOADER_VARIABLES.has(name))
    return "refused: the dynamic loader and C library act on it in every program, loading the code or files it names, and no process outside the app's sandbox may see it";
  if (BOX_VARIABLES.has(name))
    return "refused: the sandbox sets it (HOME is the project's own home, PATH the system's)";
  return null;
}

/** The longest value a variable may have, in coduck.json or kept by the platform. */
export const MAX_VARIABLE_VALUE = 65_536;

const seconds = (max: number) =>
  z
    .number({ error: `expected a whole number of seconds from 1 to ${max}` })
    .int(`expected a whole number of seconds from 1 to ${max}`)
    .min(1, `expected a whole number of seconds from 1 to ${max}`)
    .max(max, `expected a whole number of seconds from 1 to ${max}`);

const command = z
  .string({ error: "expected a shell command (a string)" })
  .trim()
  .min(1, "expected a shell command, not an empty string")
  .max(4096, "expected a command of at most 4096 characters");

/** The app's `coduck.json`: every key optional, no key unknown. */
export const coduckJsonSchema = z.strictObject(
  {
    install: command.optional(),
    build: command.optional(),
    preStart: command.optional(),
    start: command.optional(),
    healthcheck: z
      .strictObject({
        path: z
          .string()
          .regex(/^\/[\x21-\x7e]*$/, "expected a path starting with / (for example /healthz)")
          .optional(),
        timeoutSeconds: seconds(600).optional(),
      })
      .optional(),
    env: z
      .record(
        z.string(),
        z
          .string({ error: "expected a string value" })
          .max(MAX_VARIABLE_VALUE, "expected at most 64 KiB")
          .refine((value) => !value.includes("\u0000"), "a value cannot contain a NUL character"),
      )
      .superRefine((env, ctx) => {
        for (const name of Object.keys(env)) {
          if (!VARIABLE_NAME.test(name)) {
            ctx.addIssue({
              code: "custom",
              path: [name],
              message: "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)",
            });
            continue;
          }
          const forbidden = forbiddenVariable(name);
          if (forbidden) ctx.addIssue({ code: "custom", path: [name], message: forbidden });
        }
      })
      .optional(),
    timeouts: z
      .strictObject({
        install: seconds(3600).optional(),
        build: seconds(3600).optional(),
        schema: seconds(3600).optional(),
        start: seconds(600).optional(),
      })
      .optional(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? unknownKeys(issue.keys) : undefined) },
);

export type CoduckJson = z.infer<typeof coduckJsonSchema>;

function unknownKeys(keys: string[]): string {
  return `unknown key${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${k}"`).join(", ")}; allowed keys are ${Object.keys(coduckJsonSchema.shape).join(", ")}`;
}
