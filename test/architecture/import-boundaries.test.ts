import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The house's floors, top to bottom: a module may import only from floors below its own, and
 * folders on the same floor never import each other. Entry points wire; faces (CLI, HTTP) share
 * records, not each other; jobs and deploy operations drive the pipeline; the pipeline runs the
 * domain folders; store and queue are leaves under them. docs/architecture.md draws this list.
 */
const FLOORS: readonly (readonly string[])[] = [
  ["main"],
  ["cli", "http"],
  ["jobs", "deploys"],
  ["moves"],
  ["pipeline"],
  ["backups", "doctor", "housekeeping", "inspection", "metrics", "notify", "recovery"],
  ["hosting"],
  ["caches", "provisioning", "releases", "router", "schema", "supervision"],
  ["apps", "failures"],
  ["store", "queue"],
  ["exec"],
  ["secrets"],
  ["config.ts", "connection-errors.ts", "logger.ts", "package-root.ts", "with-timeout.ts"],
  ["errors.ts"],
];

/**
 * Tables of facts every floor may read (the step names, the failure catalogue, a box's default
 * limits): they import
 * nothing but each other, so reading them can never make a circle.
 */
const SHARED_FACTS = new Set([
  "pipeline/step-names.ts",
  "failures/codes.ts",
  "exec/resource-limits.ts",
]);

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [path.relative(SRC, full)] : [];
  });
}

/** Every relative import of a file (static, dynamic, type-only), as a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), "utf8");
  const specifiers = [...text.matchAll(/\bfrom\s+"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g)];
  return specifiers.map((m) =>
    path.normalize(path.join(path.dirname(file), (m[1] ?? m[2])!)).replace(/\.js$/, ".ts"),
  );
}

/** A file's folder under src/ (its first path part), or the file itself at src/'s top. */
const placeOf = (file: string) => file.split("/")[0]!;
const floorOf = (file: string) => FLOORS.findIndex((floor) => floor.includes(placeOf(file)));

const files = sourceFiles(SRC);
const edges = files.flatMap((from) => importsOf(from).map((to) => ({ from, to })));

describe("import boundaries", () => {
  it("places every folder of src/ on exactly one floor", () => {
    const places = [...new Set(files.map(placeOf))].sort();
    expect(places.filter((place) => floorOf(place) === -1)).toEqual([]);
    expect(FLOORS.flat().filter((place) => !places.includes(place))).toEqual([]);
    expect(new Set(FLOORS.flat()).size).toBe(FLOORS.flat().length);
  });

  it("imports run down: never up a floor, never across one", () => {
    const wrong = edges
      .filter(({ from, to }) => placeOf(from) !== placeOf(to) && !SHARED_FACTS.has(to))
      .filter(({ from, to }) => floorOf(to) <= floorOf(from))
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });

  it("the shared fact tables import nothing but each other", () => {
    const wrong = edges
      .filter(({ from, to }) => SHARED_FACTS.has(from) && !SHARED_FACTS.has(to))
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(wrong).toEqual([]);
  });

  it("no module imports itself back through others (no circles, inside a folder either)", () => {
    const next = new Map<string, string[]>();
    for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });
});
