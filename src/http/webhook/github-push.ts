import { z } from "zod";

/** The part of GitHub's `push` payload intake reads; everything else is ignored. */
export const pushPayload = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
  // Who pushed, for the deployment's record: read leniently, never a reason to refuse a push.
  sender: z.object({ login: z.unknown() }).partial().optional().catch(undefined),
  pusher: z.object({ name: z.unknown() }).partial().optional().catch(undefined),
  repository: z.object({
    full_name: z.string().optional(),
    clone_url: z.string().optional(),
    html_url: z.string().optional(),
    ssh_url: z.string().optional(),
    git_url: z.string().optional(),
  }),
});

export type PushPayload = z.infer<typeof pushPayload>;

const BRANCH_PREFIX = "refs/heads/";
const MAX_PUSHER_LENGTH = 100;
const ZERO_SHA = /^0+$/;

/** Every spelling of the pushed repository's URL in the payload. */
export function repositoryUrls(push: Pick<PushPayload, "repository">): string[] {
  const { clone_url, html_url, ssh_url, git_url } = push.repository;
  return [clone_url, html_url, ssh_url, git_url].filter((u): u is string => Boolean(u));
}

/**
 * The repository any event's payload names (`repository`, as push and ping have it), read
 * before the signature is checked: it only chooses which projects' secrets may have signed
 * the delivery. Null when the body names none.
 */
const namedRepository = z.object({ repository: pushPayload.shape.repository });
export function deliveredRepository(
  json: unknown,
): { name: string | undefined; urls: string[] } | null {
  const parsed = namedRepository.safeParse(json);
  if (!parsed.success) return null;
  const urls = repositoryUrls(parsed.data);
  return urls.length === 0 ? null : { name: parsed.data.repository.full_name, urls };
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Whether `after` names a commit by its full id, the only form a push deploys. */
export function isCommitId(after: string): boolean {
  return COMMIT_ID.test(after);
}

/** The pushed branch, or why this push deploys nothing whatever project it is for. */
export function pushedBranch(push: PushPayload): { branch: string } | { ignored: string } {
  if (!push.ref.startsWith(BRANCH_PREFIX))
    return { ignored: `${push.ref} is not a branch: only branch pushes deploy` };
  const branch = push.ref.slice(BRANCH_PREFIX.length);
  if (push.deleted || ZERO_SHA.test(push.after))
    return { ignored: `branch ${branch} was deleted: nothing to deploy` };
  return { branch };
}

/** Who pushed: the GitHub account (`sender.login`), else the pusher's git name; null if neither. */
export function pushedBy(push: PushPayload): string | null {
  for (const name of [push.sender?.login, push.pusher?.name]) {
    // Control characters (NUL among them, which Postgres does not store) are dropped.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is matched
    const shown = typeof name === "string" ? name.replace(/[\u0000-\u001f\u007f]/g, "").trim() : "";
    if (shown !== "") return shown.slice(0, MAX_PUSHER_LENGTH);
  }
  return null;
}
