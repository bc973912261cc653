import {
  parsePrismaVersion,
  supportsDiffOutput,
  supportsExternalTables,
} from "../../src/schema/prisma-version.js";

const v = (version: string) => parsePrismaVersion(version)!;

describe("the installed Prisma's abilities", () => {
  it("parses a version, prereleases included", () => {
    expect(parsePrismaVersion("6.19.3")).toEqual({
      version: "6.19.3",
      major: 6,
      minor: 19,
      patch: 3,
    });
    expect(parsePrismaVersion("7.0.0-dev.12")).toMatchObject({ major: 7, minor: 0, patch: 0 });
    expect(parsePrismaVersion("latest")).toBeNull();
  });

  it("has external tables from 6.13", () => {
    expect(supportsExternalTables(v("6.12.0"))).toBe(false);
    expect(supportsExternalTables(v("6.13.0"))).toBe(true);
    expect(supportsExternalTables(v("6.19.3"))).toBe(true);
    expect(supportsExternalTables(v("7.10.1"))).toBe(true);
    expect(supportsExternalTables(v("5.22.0"))).toBe(false);
  });

  it("writes migrate diff to a file from 5.12.1", () => {
    expect(supportsDiffOutput(v("5.12.0"))).toBe(false);
    expect(supportsDiffOutput(v("5.12.1"))).toBe(true);
    expect(supportsDiffOutput(v("4.16.2"))).toBe(false);
    expect(supportsDiffOutput(v("6.0.0"))).toBe(true);
  });
});
