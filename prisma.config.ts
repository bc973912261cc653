// Prisma CLI configuration for the worker's own database. DATABASE_URL is set by
// `coduck-worker migrate` from the parsed worker config.
// The JS schema engine, through the pg driver adapter, keeps every Prisma command offline:
// the classic engine would download a native binary first.
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig, env } from "prisma/config";
import { catalogTextPoolConfig } from "./src/store/catalog-text-pool.js";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPg(catalogTextPoolConfig(env("DATABASE_URL"))),
});
