import { isPlatformEntry, projectEntries } from "../../src/backups/platform-objects.js";

// Lines as pg_restore 15 lists a provisioned project's archive.
const LISTING = [
  ";     dbname: prj_shop_0123456789",
  "6; 2615 19321 SCHEMA - app prj_shop_0123456789",
  "218; 1255 19311 FUNCTION public user_lookup(text) postgres",
  "3370; 0 0 COMMENT public FUNCTION user_lookup(i_username text) postgres",
  "219; 1255 19312 FUNCTION public user_lookup_audit(text) prj_shop_0123456789",
  "220; 1255 19313 FUNCTION app user_lookup(text) prj_shop_0123456789",
  "216; 1259 19313 TABLE public user_lookup prj_shop_0123456789",
  "3352; 0 19313 TABLE DATA public t prj_shop_0123456789",
].join("\n");

describe("the platform's entries of a dump", () => {
  it("are the lookup function in the lookup schema and its comments, nothing the app named alike", () => {
    expect(projectEntries(LISTING, "public").split("\n")).toEqual([
      ";     dbname: prj_shop_0123456789",
      "6; 2615 19321 SCHEMA - app prj_shop_0123456789",
      "219; 1255 19312 FUNCTION public user_lookup_audit(text) prj_shop_0123456789",
      "220; 1255 19313 FUNCTION app user_lookup(text) prj_shop_0123456789",
      "216; 1259 19313 TABLE public user_lookup prj_shop_0123456789",
      "3352; 0 19313 TABLE DATA public t prj_shop_0123456789",
    ]);
  });

  it("include the lookup schema itself when it is not public", () => {
    expect(isPlatformEntry("7; 2615 19400 SCHEMA - coduck postgres", "coduck")).toBe(true);
    expect(isPlatformEntry("7; 2615 19400 SCHEMA - coduck postgres", "public")).toBe(false);
    expect(isPlatformEntry("220; 1255 19313 FUNCTION app user_lookup(text) x", "app")).toBe(true);
  });
});
