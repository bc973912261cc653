import Fastify from "fastify";
import { caddyAskRoute } from "../../../src/http/probes/caddy-ask.js";

const DOMAIN = "apps.example.com";

async function askApp() {
  const asked: string[] = [];
  const app = Fastify();
  await app.register(async (scope) =>
    caddyAskRoute(scope, {
      appsDomain: DOMAIN,
      projectExists: async (slug) => {
        asked.push(slug);
        return slug === "shop";
      },
    }),
  );
  return { app, asked };
}

test("200 for a registered project's host, 404 for an unregistered one", async () => {
  const { app, asked } = await askApp();
  const ok = await app.inject({ url: `/caddy/ask?domain=shop.${DOMAIN}` });
  expect(ok.statusCode).toBe(200);
  const no = await app.inject({ url: `/caddy/ask?domain=blog.${DOMAIN}` });
  expect(no.statusCode).toBe(404);
  expect(asked).toEqual(["shop", "blog"]);
  await app.close();
});

test("hostile domains get 404 without the registry being asked", async () => {
  const { app, asked } = await askApp();
  const hostile = [
    `SHOP.${DOMAIN}`,
    `shop.${DOMAIN}.`,
    `www.shop.${DOMAIN}`,
    `shop..${DOMAIN}`,
    `..%2Fshop.${DOMAIN}`,
    `sh%C3%B6p.${DOMAIN}`,
    `shop.${DOMAIN}%00`,
    `${"a".repeat(5000)}.${DOMAIN}`,
    "shop.example.org",
    DOMAIN,
    "",
  ];
  for (const domain of hostile) {
    const response = await app.inject({ url: `/caddy/ask?domain=${domain}` });
    expect({ domain, status: response.statusCode }).toEqual({ domain, status: 404 });
  }
  expect((await app.inject({ url: "/caddy/ask" })).statusCode).toBe(404);
  const twice = await app.inject({ url: `/caddy/ask?domain=shop.${DOMAIN}&domain=shop.${DOMAIN}` });
  expect(twice.statusCode).toBe(404);
  expect(asked).toEqual([]);
  await app.close();
});
