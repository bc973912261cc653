import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { hasUrlCredentials } from "../secrets/url-credentials.js";

/**
 * A project slug: what names the project everywhere (URLs, directories, its database).
 * Like a DNS label, so it is safe in all of them.
 */
export const projectSlug = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
  );

const SCP_LIKE = /^[\w.-]+@[\w.-]+:[^\s]+$/;
const ALLOWED_SCHEMES = ["https:", "http:", "ssh:", "git:", "file:"];

/** A git repository the worker can fetch: a URL, an scp-like address, or a local path. */
export const repoUrl = z
  .string()
  .min(1, { message: "must not be empty", abort: true })
  .max(2048, { message: "must be at most 2048 characters", abort: true })
  .refine((value) => ![...value].some(isControlCharacter), {
    message: "must not contain control characters",
    abort: true,
  })
  .refine((value) => !value.startsWith("-"), { message: "must not start with '-'", abort: true })
  .refine(
    (value) => isLocalPath(value) || SCP_LIKE.test(value) || hasAllowedScheme(value),
    `must be an ${ALLOWED_SCHEMES.map((s) => s.slice(0, -1)).join("/")} URL, user@host:path, or an absolute path`,
  );

/** A branch, tag or commit to deploy, by git's rules for ref names. */
export const gitRef = z
  .string()
  .min(1, { message: "must not be empty", abort: true })
  .max(255, { message: "must be at most 255 characters", abort: true })
  .refine(
    (ref) =>
      /^[A-Za-z0-9._/+@-]+$/.test(ref) &&
      !ref.startsWith("-") &&
      !ref.startsWith("/") &&
      !ref.endsWith("/") &&
      !ref.endsWith(".") &&
      !ref.endsWith(".lock") &&
      !ref.includes("..") &&
      !ref.includes("//") &&
      !ref.includes("@{") &&
      !ref.split("/").some((part) => part.startsWith(".")),
    "must be a branch, tag or commit sha (letters, digits and . _ / + @ -, as git allows in ref names)",
  );

/**
 * A deployment's repository: never with credentials, which every record of the deployment
 * would then show. They are registered on the project (`projects add/set --repo`), kept
 * sealed, and used by every deploy of its repository.
 */
const deployedRepoUrl = repoUrl.refine((value) => !hasUrlCredentials(value), {
  message:
    "must not carry credentials (a user:token@ or a query string), which would be recorded with the deployment: register them once with coduck-worker projects set <slug> --repo <url>, and deploy the repository without them",
});

export const deployRequest = z.object({
  project: projectSlug,
  repoUrl: deployedRepoUrl,
  ref: gitRef,
});

export type DeployRequest = z.infer<typeof deployRequest>;

/** A project's registration (`projects add/set`): its repository may carry credentials. */
const projectSettings = deployRequest.extend({ repoUrl });

/** Parses a request; a local repository path is made absolute so any worker cwd can use it. */
export function parseDeployRequest(input: unknown) {
  return withAbsolutePath(deployRequest.safeParse(input));
}

/** Parses `projects add/set` input by the same rules, credentials in the URL allowed. */
export function parseProjectSettings(input: unknown) {
  return withAbsolutePath(projectSettings.safeParse(input));
}

function withAbsolutePath(parsed: z.ZodSafeParseResult<DeployRequest>) {
  if (!parsed.success) return parsed;
  const { repoUrl } = parsed.data;
  return {
    ...parsed,
    data: { ...parsed.data, repoUrl: isLocalPath(repoUrl) ? path.resolve(repoUrl) : repoUrl },
  };
}

function isLocalPath(value: string): boolean {
  return (
    path.isAbsolute(value) ||
    ((value.startsWith("./") || value.startsWith("../")) && existsSync(value))
  );
}

function hasAllowedScheme(value: string): boolean {
  try {
    return ALLOWED_SCHEMES.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function isControlCharacter(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}
