import type { FastifyInstance, FastifyReply } from "fastify";
import { parseDeployRequest } from "../../deploys/deploy-request.js";
import { DEPLOY_STEP_NAMES } from "../../pipeline/steps/index.js";
import { enqueueDeploy } from "../../queue/deploy-job.js";
import { projectsOfRepository } from "../../store/projects.js";
import { recordPushDeployment } from "../../store/webhook-deliveries.js";
import type { HttpDeps } from "../build-app.js";
import {
  type PushPayload,
  pushedBranch,
  pushedBy,
  pushPayload,
  repositoryUrls,
} from "../github-push.js";
import { isValidGithubSignature } from "../github-signature.js";

/**
 * `POST /webhooks/github`: GitHub's push webhook. In order: the size limit (413, before the
 * body is read), the secret being configured (503), the signature over the raw body (401),
 * then the event. Nothing is recorded before the signature has been checked.
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
      const secret = deps.config.http.githubWebhookSecret;
      if (!secret) {
        return reply.code(503).send({
          error:
            "GITHUB_WEBHOOK_SECRET is not set: deliveries cannot be verified, so none is accepted",
        });
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = header(request.headers["x-hub-signature-256"]);
      if (!isValidGithubSignature(secret, body, signature)) {
        return reply.code(401).send({
          error: signature
            ? "X-Hub-Signature-256 does not match the body: check the webhook's secret"
            : "missing X-Hub-Signature-256: set the webhook's secret",
        });
      }

      const event = header(request.headers["x-github-event"]);
      if (event === "ping") return reply.code(200).send({ ok: true });
      if (event !== "push") {
        return reply
          .code(202)
          .send({ ignored: `event ${event ?? "(none)"} does not deploy: only push does` });
      }

      const contentType = header(request.headers["content-type"]) ?? "";
      if (!/^application\/json\b/i.test(contentType)) {
        return reply.code(415).send({
          error: `expected Content-Type application/json, got ${contentType || "none"}: set the webhook's content type to application/json`,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch (error) {
        return reply.code(400).send({ error: `malformed JSON: ${(error as Error).message}` });
      }
      const parsed = pushPayload.safeParse(json);
      if (!parsed.success) {
        return reply.code(400).send({
          error: `not a push payload: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        });
      }
      const deliveryId = header(request.headers["x-github-delivery"]);
      if (!deliveryId) return reply.code(400).send({ error: "missing X-GitHub-Delivery" });
      return deployPush(deps, reply, parsed.data, deliveryId);
    },
  );
}

async function deployPush(
  deps: HttpDeps,
  reply: FastifyReply,
  push: PushPayload,
  deliveryId: string,
) {
  const urls = repositoryUrls(push);
  const projects = urls.length > 0 ? await projectsOfRepository(deps.db, ...urls) : [];
  if (projects.length === 0) {
    const name = push.repository.full_name ?? urls[0] ?? "this repository";
    return reply.code(404).send({
      error: `no project deploys ${name}: register one with coduck-worker projects add <slug> --repo ${push.repository.clone_url ?? "<url>"}`,
    });
  }
  const pushed = pushedBranch(push);
  if ("ignored" in pushed) return reply.code(202).send(pushed);
  const project = projects.find((p) => p.branch === pushed.branch);
  if (!project) {
    const deployed = projects.map((p) => `${p.slug} deploys ${p.branch}`).join(", ");
    return reply
      .code(202)
      .send({ ignored: `branch ${pushed.branch} is not deployed (${deployed})` });
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
  const outcome = await recordPushDeployment(deps.db, {
    deliveryId,
    project: { id: project.id, slug: project.slug, repoUrl: request.data.repoUrl },
    commitSha: request.data.ref,
    steps: DEPLOY_STEP_NAMES,
    requestedBy: pushedBy(push),
  });
  // Also on a repeat while still queued: the job id is the deployment id, so this adds a job
  // only if an earlier request recorded the deployment but never got to enqueue it.
  if (outcome.created || outcome.status === "queued")
    await enqueueDeploy(deps.queue, outcome.deploymentId);
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
