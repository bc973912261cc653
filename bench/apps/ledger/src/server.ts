import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import Fastify from "fastify";
import winston from "winston";
import { sign, verify } from "./auth.js";
import { prisma } from "./db.js";
import { postsPerAuthor } from "./report.js";
import { NewAuthor, NewPost, Page } from "./schemas.js";
import { VERSION } from "./version.js";

const audit = winston.createLogger({ transports: [new winston.transports.Console()] });
const app = Fastify({ logger: { level: "warn" } });
await app.register(cors);
await app.register(helmet);

app.get("/", async () => ({ app: "ledger", version: VERSION }));

app.get("/posts", async (request) => {
  const page = Page.parse(request.query);
  return prisma.post.findMany({ ...page, include: { author: true }, orderBy: { id: "asc" } });
});

app.get("/report", async () => postsPerAuthor(await prisma.post.findMany()));

app.post("/token", async () => ({ token: sign({ sub: "bench", scope: ["write"] }) }));

app.post("/authors", async (request, reply) => {
  if (!verify(String(request.headers.authorization ?? "").replace(/^Bearer /, ""))) {
    return reply.code(401).send({ error: "unauthorized" });
  }
  const author = await prisma.author.create({ data: NewAuthor.parse(request.body) });
  audit.info("author created", { id: author.id });
  return author;
});

app.post("/posts", async (request) => prisma.post.create({ data: NewPost.parse(request.body) }));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });
