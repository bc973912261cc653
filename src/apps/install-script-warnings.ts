// npm 11 skips the install scripts of dependencies that package.json "allowScripts" does not
// cover, and says so only in a stderr block (npm's lib/utils/reify-output.js):
//   npm warn install-scripts 2 packages have install scripts not yet covered by allowScripts:
//   npm warn install-scripts   esbuild@0.28.2 (postinstall: node install.js)
//   npm warn install-scripts   @parcel/watcher@2.5.1 (install: node scripts/build-from-source.js)
// Denied packages (`false` entries) are skipped without being listed.
const HEADER =
  /^npm warn install-scripts \d+ packages? (?:has|have) install scripts not yet covered/;
const PACKAGE = /^npm warn install-scripts {3}(\S+) \((.*)\)$/;
// npm joins a package's scripts as `event: command; event: command`.
const EVENT = /(?:^|; )(preinstall|install|postinstall|prepare): /g;

/** One sentence per package whose install scripts npm reported as skipped, in npm's order. */
export function installScriptWarnings(lines: string[]): string[] {
  const sentences = new Map<string, string>();
  let inBlock = false;
  for (const line of lines) {
    if (HEADER.test(line)) {
      inBlock = true;
      continue;
    }
    const found = inBlock ? PACKAGE.exec(line) : null;
    if (!found) {
      inBlock = false;
      continue;
    }
    const pkg = found[1]!;
    const events = [...found[2]!.matchAll(EVENT)].map((m) => m[1]);
    const [what, them] =
      events.length > 1
        ? [`install scripts (${events.join(", ")})`, "them"]
        : [`an install script (${events[0] ?? "install"})`, "it"];
    sentences.set(
      pkg,
      `${pkg} has ${what} that package.json "allowScripts" does not cover, so npm skipped ${them}: add it to allowScripts to run ${them}, or deny it`,
    );
  }
  return [...sentences.values()];
}
