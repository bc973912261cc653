import { z } from "zod";

/** The part of GitHub's `push` payload intake reads; everything else is ignored. */
export const pushPayload = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
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
const ZERO_SHA = /^0+$/;

/** Every spelling of the pushed repository's URL in the payload. */
export function repositoryUrls(push: PushPayload): string[] {
  const { clone_url, html_url, ssh_url, git_url } = push.repository;
  return [clone_url, html_url, ssh_url, git_url].filter((u): u is string => Boolean(u));
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
