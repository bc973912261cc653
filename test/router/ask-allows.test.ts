import { askAllows, slugOfHost } from "../../src/router/ask-allows.js";
import {
  checkRouteSpec,
  InvalidRouteError,
  isDnsName,
  isRoutableSlug,
  projectHost,
} from "../../src/router/route-names.js";

const DOMAIN = "apps.example.com";
const REGISTERED = new Set(["shop", "my-app", "a1"]);

test("a registered project's host under the apps domain is allowed", () => {
  for (const slug of REGISTERED)
    expect(askAllows(`${slug}.${DOMAIN}`, DOMAIN, REGISTERED)).toBe(true);
});

test.each([
  ["an unregistered slug", `blog.${DOMAIN}`],
  ["the apps domain itself", DOMAIN],
  ["another domain", "shop.example.org"],
  ["a look-alike suffix", `shop.x${DOMAIN}`],
  ["the domain without its dot", `shop${DOMAIN}`],
  ["an extra label", `www.shop.${DOMAIN}`],
  ["an extra label that is registered", `shop.my-app.${DOMAIN}`],
  ["uppercase", `SHOP.${DOMAIN}`],
  ["uppercase in the domain", "shop.Apps.example.com"],
  ["a trailing dot", `shop.${DOMAIN}.`],
  ["an empty label", `.${DOMAIN}`],
  ["a double dot", `shop..${DOMAIN}`],
  ["a path", `../shop.${DOMAIN}`],
  ["unicode", `shöp.${DOMAIN}`],
  ["a unicode dot", `shop\u3002${DOMAIN}`],
  ["punycode of an unregistered name", `xn--shp-sna.${DOMAIN}`],
  ["a leading hyphen", `-shop.${DOMAIN}`],
  ["a port", `shop.${DOMAIN}:443`],
  ["a NUL", `shop\0.${DOMAIN}`],
  ["whitespace", ` shop.${DOMAIN}`],
  ["empty", ""],
  ["a 64-character label", `${"a".repeat(64)}.${DOMAIN}`],
  ["very long", `${"a.".repeat(5000)}shop.${DOMAIN}`],
])("refused: %s", (_what, domain) => {
  expect(askAllows(domain, DOMAIN, REGISTERED)).toBe(false);
});

test("a registry with a name that is no slug does not widen what is allowed", () => {
  expect(askAllows(`www.shop.${DOMAIN}`, DOMAIN, new Set(["www.shop"]))).toBe(false);
  expect(askAllows(`SHOP.${DOMAIN}`, DOMAIN, new Set(["SHOP"]))).toBe(false);
});

test("slugOfHost reads exactly one label off the apps domain", () => {
  expect(slugOfHost(`shop.${DOMAIN}`, DOMAIN)).toBe("shop");
  expect(slugOfHost(`a.b.${DOMAIN}`, DOMAIN)).toBeUndefined();
  expect(slugOfHost(`shop.${DOMAIN}`, `${DOMAIN}.`)).toBeUndefined();
});

test("slugs, hosts and upstreams that may go into Caddy's config", () => {
  expect(isRoutableSlug("my-app-2")).toBe(true);
  for (const bad of ["", "-a", "a-", "A", "a_b", "a.b", "a/b", "é", "a".repeat(64)])
    expect(isRoutableSlug(bad)).toBe(false);
  expect(isDnsName("a.b.c")).toBe(true);
  expect(isDnsName(`${"abcdefghi.".repeat(26)}com`)).toBe(false);
  expect(projectHost("shop", "localhost")).toBe("shop.localhost");
  expect(() => projectHost("shop", "Apps.test")).toThrow(InvalidRouteError);
  const ok = { project: "shop", host: "shop.apps.test", upstream: "127.0.0.1:4000" };
  expect(() => checkRouteSpec(ok)).not.toThrow();
  for (const upstream of [
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "10.0.0.1:80",
    "127.0.0.1",
    "127.0.0.1:80/x",
  ])
    expect(() => checkRouteSpec({ ...ok, upstream })).toThrow(InvalidRouteError);
  for (const host of ["shop.apps.test.", "shopx.apps.test", "shop", "shop.apps.test\n"])
    expect(() => checkRouteSpec({ ...ok, host })).toThrow(InvalidRouteError);
});
