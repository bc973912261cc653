import type { FastifyInstance, FastifyReply } from "fastify";
import { deployPush } from "../../deploys/deploy-push.js";
import { parseDeployRequest } from "../../deploys/deploy-request.js";
import type { Keyring } from "../../secrets/keyring.js";
import { projectsOfRepository, projectWebhookSecret } from "../../store/projects.js";
import type { HttpDeps } from "../http-deps.js";
import {
  deliveredRepository,
  isCommitId,
  type PushPayload,
  pushedBranch,
  pushedBy,
  pushPayload,
} from "./github-push.js";
import { isSignedWith, signatureDigest } from "./github-signature.js";

type Project = Awaited<ReturnType<typeof projectsOfRepository>>[number];

/**
 * `POST /webhooks/github`: GitHub's push webhook. In order: the size limit (413, before the
 * body is read), the signature header (401), the content type (415); then the repository the
 * body names chooses whose secrets may have signed it (each project's own; the global
 * GITHUB_WEBHOOK_SECRET only for projects without one, and only with
 * WEBHOOK_GLOBAL_SECRET_FALLBACK=1), and a signature that none of them made is refused (401).
 * Only then the event, the payload and the branch. Nothing is recorded before the signature
 * has been checked.
 */
export async function githubWebhookRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  // The signature covers the exact bytes GitHub sent, so this route keeps them raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
    done(null, body);
  });

  app.post(
    "/webhooks/github",
    { bodyLimit: deps.config.http.webhookMaxBodyBytes },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = header(request.headers["x-hub-signature-256"]);
      const digest = signatureDigest(signature);
      if (!digest) {
        return reply.code(401).send({
          error: signature
            ? "X-Hub-Signature-256 is not sha256=<64 hex digits>: set the webhook's secret"
            : "missing X-Hub-Signature-256: set the webhook's secret",
        });
      }
      const contentType = header(request.headers["content-type"]) ?? "";
      if (!/^application\/json\b/i.test(contentType)) {
        return reply.code(415).send({
          error: `expected Content-Type application/json, got ${contentType || "none"}: set the webhook's content type to application/json`,
        });
      }
      let json: unknown;
      let malformed: string | null = null;
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch (error) {
        malformed = (error as Error).message;
      }

      // Who may have signed this: read from the unverified body, it only narrows the secrets.
      const repository = deliveredRepository(json);
      const projects = repository ? await projectsOfRepository(deps.db, ...repository.urls) : [];
      const signer = signersOf(deps, projects).filter((s) => isSignedWith(s.secret, body, digest));
      if (signer.length === 0) {
        const name = repository?.name ?? repository?.urls[0] ?? "the repository this body names";
        return reply.code(401).send({
          error: `X-Hub-Signature-256 does not match the body under the webhook secret of a project deploying ${name}: set the webhook's secret to the one coduck-worker projects add printed (a new one: projects set <slug> --rotate-webhook-secret)`,
        });
      }
      if (malformed !== null)
        return reply.code(400).send({ error: `malformed JSON: ${malformed}` });

      const event = header(request.headers["x-github-event"]);
      if (event === "ping") return reply.code(200).send({ ok: true });
      if (event !== "push") {
        return reply
          .code(202)
          .send({ ignored: `event ${event ?? "(none)"} does not deploy: only push does` });
      }
      const parsed = pushPayload.safeParse(json);
      if (!parsed.success) {
        return reply.code(400).send({
          error: `not a push payload: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        });
      }
      const deliveryId = header(request.headers["x-github-delivery"]);
      if (!deliveryId) return reply.code(400).send({ error: "missing X-GitHub-Delivery" });
      const verified = signer.flatMap((s) => (s.project ? [s.project] : []));
      return answerPush(deps, reply, parsed.data, deliveryId, verified);
    },
  );
}

/**
 * The secrets a delivery naming these projects' repository may be signed with, each with the
 * project it speaks for: a project's own secret; the global one for a project without its own
 * (or, when no project has the repository, for none) only with WEBHOOK_GLOBAL_SECRET_FALLBACK=1.
 */
function signersOf(deps: HttpDeps, projects: Project[]) {
  const { githubWebhookSecret, webhookGlobalSecretFallback } = deps.config.http;
  const fallback = webhookGlobalSecretFallback ? githubWebhookSecret : undefined;
  const keyring = deps.keyring ?? deps.data?.keyring;
  const signers: { project: Project | null; secret: string }[] = [];
  for (const project of projects) {
    const own = keyring ? openSecret(deps, keyring, project) : null;
    const hasOwn = project.webhookSecretEncrypted !== null;
    if (own) signers.push({ project, secret: own });
    else if (!hasOwn && fallback) signers.push({ project, secret: fallback });
  }
  if (projects.length === 0 && fallback) signers.push({ project: null, secret: fallback });
  return signers;
}

/** A project's own secret; null (and said in the log) when the keyring cannot open it. */
function openSecret(deps: HttpDeps, keyring: Keyring, project: Project): string | null {
  try {
    return projectWebhookSecret(keyring, project);
  } catch (error) {
    deps.logger.error(
      { project: project.slug, err: error },
      "cannot open the project's webhook secret: its pushes are refused (is SECRETS_KEY missing a key version?)",
    );
    return null;
  }
}

async function answerPush(
  deps: HttpDeps,
  reply: FastifyReply,
  push: PushPayload,
  deliveryId: string,
  projects: Project[],
) {
  if (projects.length === 0) {
    const name = push.repository.full_name ?? push.repository.clone_url ?? "this repository";
    return reply.code(404).send({
      error: `no project deploys ${name}: register one with coduck-worker projects add <slug> --repo ${push.repository.clone_url ?? "<url>"}`,
    });
  }
  const pushed = pushedBranch(push);
  if ("ignored" in pushed) return reply.code(202).send({ ignored: pushed.ignored });
  // `ref` is exactly refs/heads/<the project's deploy branch>, or the push deploys nothing.
  const project = projects.find((p) => p.branch === pushed.branch);
  if (!project) {
    const deployed = projects.map((p) => `${p.slug} deploys ${p.branch}`).join(", ");
    return reply
      .code(202)
      .send({ ignored: `branch ${pushed.branch} is not deployed (${deployed})` });
  }
  if (!isCommitId(push.after)) {
    return reply
      .code(400)
      .send({ error: `cannot deploy this push: after is not a commit id: ${push.after}` });
  }

  const request = parseDeployRequest({
    project: project.slug,
    repoUrl: project.repoUrl,
    ref: push.after,
  });
  if (!request.success) {
    return reply.code(400).send({
      error: `cannot deploy this push: ${request.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join("; ")}`,
    });
  }
  const outcome = await deployPush(deps, {
    deliveryId,
    project: { id: project.id, slug: project.slug, repoUrl: request.data.repoUrl },
    commitSha: request.data.ref,
    requestedBy: pushedBy(push),
  });
  const log = deps.logger.child({ deploymentId: outcome.deploymentId, project: project.slug });
  log.info(
    { deliveryId, commitSha: request.data.ref, created: outcome.created },
    outcome.created ? "push queued a deployment" : "push already recorded",
  );
  return reply
    .code(outcome.created ? 201 : 200)
    .send({ deploymentId: outcome.deploymentId, status: outcome.status });
}

function header(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}
