import { z } from "zod";

/** Variables the platform injects into every app; an app may not set them. */
export const RESERVED_VARIABLES = ["DATABASE_URL", "DIRECT_URL", "PORT"] as const;

/** Why they are reserved (RESERVED_ENV), for every place that refuses one. */
export const RESERVED_VARIABLES_REASON =
  "reserved and injected by the platform (DATABASE_URL through PgBouncer, DIRECT_URL for migrations, PORT to listen on)";

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
          .max(MAX_VARIABLE_VALUE, "expected at most 64 KiB"),
      )
      .superRefine((env, ctx) => {
        for (const name of Object.keys(env)) {
          if (!VARIABLE_NAME.test(name)) {
            ctx.addIssue({
              code: "custom",
              path: [name],
              message: "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)",
            });
          }
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
