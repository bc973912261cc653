/**
 * Captured install failures (step install) for issue 22's corpus: npm, pnpm (corepack), yarn 1
 * and yarn berry (corepack, fetched from the npm registry) and bun (the `bun` npm package's
 * binary), each made to fail for real here. Writes captured/installs.jsonl.
 *
 * Run: npx tsx scripts/corpus/installs.ts [case-id-filter]
 */
import { type CaptureSpec, capture } from "./capture.js";
import { appPath, TEMPLATES } from "./installs-builds-templates.js";

const FILE = "installs";

// corepack without prompts; yarn berry comes from the npm registry (repo.yarnpkg.com is not
// reachable here), and the corepack signing keys are not checked (its key list is fetched).
const TOOL_ENV = {
  COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
  COREPACK_INTEGRITY_KEYS: "0",
  COREPACK_NPM_REGISTRY: "https://registry.npmjs.org",
  PATH: `${TEMPLATES.bun}/node_modules/.bin:${appPath()}`,
};

type Pkg = Record<string, unknown>;
const pkg = (p: Pkg) => `${JSON.stringify(p, null, 2)}\n`;

/**
 * Writes `before` as package.json, makes its lock with `lockCommand`, then puts `after` in
 * place: the lock is real and matches the app as it was before the last commit.
 */
function lockedBefore(
  before: Pkg,
  after: Pkg,
  lockCommand: string,
): Pick<CaptureSpec, "files" | "prepare"> {
  return {
    files: { "package.json": pkg(before), "next.package.json": pkg(after) },
    prepare: [lockCommand, "mv next.package.json package.json"],
  };
}

const NPM_LOCK = "npm install --package-lock-only --no-audit --no-fund";
const PNPM_LOCK = "corepack pnpm install --lockfile-only";
const YARN1_LOCK = "corepack yarn install --ignore-scripts --non-interactive";
const BERRY_LOCK = "corepack yarn install --mode=update-lockfile";
const BUN_LOCK = "bun install --lockfile-only";

const api = (extra: Pkg = {}, deps: Record<string, string> = {}): Pkg => ({
  name: "orders-api",
  version: "1.4.0",
  private: true,
  type: "module",
  scripts: { start: "node server.js", build: "tsc -p ." },
  dependencies: { express: "^4.21.2", pino: "^9.6.0", ...deps },
  ...extra,
});

const CASES: CaptureSpec[] = [
  // --- npm ---
  {
    id: "npm-ci-new-dep-uncommitted",
    stack: "npm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "npm ci after zod was added to package.json without re-running npm install (lock kept)",
    ...lockedBefore(api(), api({}, { zod: "^3.24.1" }), NPM_LOCK),
    command: "npm ci --no-audit",
  },
  {
    id: "npm-ci-range-bumped",
    stack: "npm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "npm ci after express was bumped from ^4 to ^5 in package.json only",
    ...lockedBefore(api(), api({}, { express: "^5.1.0" }), NPM_LOCK),
    command: "npm ci",
  },
  {
    id: "npm-ci-fresh-repo",
    stack: "npm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "npm ci in a repository that never committed package-lock.json",
    files: { "package.json": pkg(api()) },
    command: "npm ci",
  },
  {
    id: "npm-react-dom-17-with-18",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install with react 18.3.1 and react-dom 17.0.2 (react-dom's peer wants react 17)",
    files: {
      "package.json": pkg({
        name: "storefront",
        version: "0.3.0",
        private: true,
        dependencies: { react: "18.3.1", "react-dom": "17.0.2" },
      }),
    },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-vite-plugin-peer-old-vite",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install of @vitejs/plugin-react 4.3.4 next to vite 3 (plugin's peer range starts at vite 4)",
    files: {
      "package.json": pkg({
        name: "admin-panel",
        version: "2.0.0",
        private: true,
        devDependencies: { vite: "^3.2.10", "@vitejs/plugin-react": "4.3.4" },
      }),
    },
    command: "npm install",
  },
  {
    id: "npm-scoped-private-name",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install of a scoped package that is not on the public registry (@acme-internal/ui-kit)",
    files: { "package.json": pkg(api({}, { "@acme-internal/ui-kit": "^2.3.0" })) },
    command: "npm install --no-audit",
  },
  {
    id: "npm-typo-package-name",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install with a misspelt dependency name (expresss-rate-limitt)",
    files: { "package.json": pkg(api({}, { "expresss-rate-limitt": "^7.0.0" })) },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-express-nine",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install asking for express ^9.0.0, a version that was never published",
    files: { "package.json": pkg(api({}, { express: "^9.0.0" })) },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-git-dep-local-path",
    stack: "npm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "npm install with a git dependency whose repository path does not exist (git+file URL)",
    files: {
      "package.json": pkg(
        api({}, { "shared-utils": "git+file:///srv/git/shared-utils.git#v1.2.0" }),
      ),
    },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-git-dep-github",
    stack: "npm",
    step: "install",
    expected: "NETWORK_ERROR",
    how: "npm install with a github: dependency; github.com is not reachable from this machine (only the npm registry is)",
    files: { "package.json": pkg(api({}, { "pdf-render": "github:acme-labs/pdf-render#main" })) },
    command: "npm install --no-audit --no-fund",
    timeoutMs: 240_000,
  },
  {
    id: "npm-undici-eight-strict",
    stack: "npm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "npm install with engine-strict=true in .npmrc and undici 8 (engines node >=22.19) on Node 20",
    files: {
      "package.json": pkg(api({}, { undici: "^8.0.0" })),
      ".npmrc": "engine-strict=true\n",
    },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-root-engines-strict",
    stack: "npm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "npm ci with engine-strict=true and the app's own engines.node >=22 on Node 20",
    ...lockedBefore(
      api({ engines: { node: ">=22.12" } }),
      api({ engines: { node: ">=22.12" } }),
      NPM_LOCK,
    ),
    prepare: [NPM_LOCK, "rm next.package.json", "echo engine-strict=true > .npmrc"],
    command: "npm ci --no-audit --no-fund",
  },
  {
    id: "npm-lock-hash-edited",
    stack: "npm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "npm ci with the integrity of node_modules/pino in package-lock.json replaced by another package's sha512",
    files: { "package.json": pkg(api()) },
    prepare: [
      NPM_LOCK,
      `node -e 'const f="package-lock.json";const l=JSON.parse(require("fs").readFileSync(f));l.packages["node_modules/pino"].integrity=l.packages["node_modules/express"].integrity;require("fs").writeFileSync(f,JSON.stringify(l,null,2))'`,
    ],
    command: "npm ci --no-audit --no-fund",
  },
  {
    id: "npm-postinstall-script-exit",
    stack: "npm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "npm ci whose root postinstall script (a patch step) exits 2 after printing progress",
    files: {
      "package.json": pkg(
        api({ scripts: { postinstall: "node scripts/patch.cjs", start: "node server.js" } }),
      ),
      "scripts/patch.cjs":
        'console.log("patching vendored assets...");\nconsole.log("  copy fonts -> public/fonts");\nconsole.error("patch: hunk 2 of assets/app.css.patch does not apply");\nprocess.exit(2);\n',
    },
    prepare: [`${NPM_LOCK} --ignore-scripts`],
    command: "npm ci --no-audit --no-fund",
  },
  // --- pnpm (corepack) ---
  {
    id: "pnpm9-frozen-new-dep",
    stack: "pnpm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "pnpm 9 install --frozen-lockfile after zod was added to package.json only",
    ...lockedBefore(
      api({ packageManager: "pnpm@9.15.9" }),
      api({ packageManager: "pnpm@9.15.9" }, { zod: "^3.24.1" }),
      PNPM_LOCK,
    ),
    command: "corepack pnpm install --frozen-lockfile",
  },
  {
    id: "pnpm10-frozen-range-changed",
    stack: "pnpm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "pnpm 10 install --frozen-lockfile after pino's range changed in package.json only",
    ...lockedBefore(
      api({ packageManager: "pnpm@10.18.3" }),
      api({ packageManager: "pnpm@10.18.3" }, { pino: "^8.21.0" }),
      PNPM_LOCK,
    ),
    command: "corepack pnpm install --frozen-lockfile",
  },
  {
    id: "pnpm9-frozen-absent",
    stack: "pnpm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "pnpm 9 install --frozen-lockfile in a repository without pnpm-lock.yaml",
    files: { "package.json": pkg(api({ packageManager: "pnpm@9.15.9" })) },
    command: "corepack pnpm install --frozen-lockfile",
  },
  {
    id: "pnpm9-private-scope",
    stack: "pnpm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "pnpm 9 install of a scoped package not on the public registry",
    files: {
      "package.json": pkg(
        api({ packageManager: "pnpm@9.15.9" }, { "@acme-internal/auth-client": "^1.0.0" }),
      ),
    },
    command: "corepack pnpm install",
  },
  {
    id: "pnpm9-zod-five",
    stack: "pnpm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "pnpm 9 install asking for zod ^5.0.0, which does not exist",
    files: { "package.json": pkg(api({ packageManager: "pnpm@9.15.9" }, { zod: "^5.0.0" })) },
    command: "corepack pnpm install",
  },
  {
    id: "pnpm9-strict-peers",
    stack: "pnpm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "pnpm 9 install with strict-peer-dependencies=true, react 18 and react-dom 17",
    files: {
      "package.json": pkg({
        name: "storefront",
        version: "0.3.0",
        private: true,
        packageManager: "pnpm@9.15.9",
        dependencies: { react: "18.3.1", "react-dom": "17.0.2" },
      }),
      ".npmrc": "strict-peer-dependencies=true\n",
    },
    command: "corepack pnpm install",
  },
  {
    id: "pnpm10-engine-strict-undici",
    stack: "pnpm",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "pnpm 10 install with engine-strict=true and undici 8 (node >=22.19) on Node 20",
    files: {
      "package.json": pkg(api({ packageManager: "pnpm@10.18.3" }, { undici: "^8.0.0" })),
      ".npmrc": "engine-strict=true\n",
    },
    command: "corepack pnpm install",
  },
  {
    id: "pnpm8-npx-frozen",
    stack: "pnpm",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "npx pnpm@8 install --frozen-lockfile after dotenv was added to package.json only",
    files: { "package.json": pkg(api()), "next.package.json": pkg(api({}, { dotenv: "^16.4.7" })) },
    prepare: ["npx -y pnpm@8.15.9 install --lockfile-only", "mv next.package.json package.json"],
    command: "npx -y pnpm@8.15.9 install --frozen-lockfile",
  },
  // --- yarn 1 ---
  {
    id: "yarn1-frozen-new-dep",
    stack: "yarn",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "yarn 1.22 install --frozen-lockfile after zod was added to package.json only",
    ...lockedBefore(
      api({ packageManager: "yarn@1.22.22" }),
      api({ packageManager: "yarn@1.22.22" }, { zod: "^3.24.1" }),
      YARN1_LOCK,
    ),
    prepare: [YARN1_LOCK, "rm -rf node_modules", "mv next.package.json package.json"],
    command: "corepack yarn install --frozen-lockfile",
  },
  {
    id: "yarn1-private-scope",
    stack: "yarn",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "yarn 1.22 install of a scoped package not on the public registry",
    files: {
      "package.json": pkg(
        api({ packageManager: "yarn@1.22.22" }, { "@acme-internal/ui-kit": "^2.3.0" }),
      ),
    },
    command: "corepack yarn install --non-interactive",
  },
  {
    id: "yarn1-pino-twenty",
    stack: "yarn",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "yarn 1.22 install asking for pino ^20.0.0, which does not exist",
    files: { "package.json": pkg(api({ packageManager: "yarn@1.22.22" }, { pino: "^20.0.0" })) },
    command: "corepack yarn install --non-interactive",
  },
  {
    id: "yarn1-undici-engines",
    stack: "yarn",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "yarn 1.22 install with undici 8 (engines node >=22.19) on Node 20; yarn 1 checks engines by default",
    files: { "package.json": pkg(api({ packageManager: "yarn@1.22.22" }, { undici: "^8.0.0" })) },
    command: "corepack yarn install --non-interactive",
  },
  // --- yarn berry ---
  {
    id: "yarn4-immutable-new-dep",
    stack: "yarn",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "yarn 4.9 install --immutable after zod was added to package.json only",
    ...lockedBefore(
      api({ packageManager: "yarn@4.9.2" }),
      api({ packageManager: "yarn@4.9.2" }, { zod: "^3.24.1" }),
      BERRY_LOCK,
    ),
    command: "corepack yarn install --immutable",
  },
  {
    id: "yarn4-immutable-absent",
    stack: "yarn",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "yarn 4.9 install --immutable in a repository without yarn.lock",
    files: { "package.json": pkg(api({ packageManager: "yarn@4.9.2" })), "yarn.lock": "" },
    prepare: ["rm yarn.lock"],
    command: "corepack yarn install --immutable",
  },
  {
    id: "yarn3-immutable-bumped",
    stack: "yarn",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "yarn 3.8 install --immutable after express was bumped to ^5 in package.json only",
    ...lockedBefore(
      api({ packageManager: "yarn@3.8.7" }),
      api({ packageManager: "yarn@3.8.7" }, { express: "^5.1.0" }),
      BERRY_LOCK,
    ),
    command: "corepack yarn install --immutable",
  },
  {
    id: "yarn4-private-scope",
    stack: "yarn",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "yarn 4.9 install of a scoped package not on the public registry",
    files: {
      "package.json": pkg(
        api({ packageManager: "yarn@4.9.2" }, { "@acme-internal/auth-client": "^1.0.0" }),
      ),
    },
    command: "corepack yarn install",
    // CI=1 makes yarn berry immutable by default; this app has no lock yet, as on a first deploy.
    env: { YARN_ENABLE_IMMUTABLE_INSTALLS: "false" },
  },
  {
    id: "yarn4-express-nine",
    stack: "yarn",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "yarn 4.9 install asking for express ^9.0.0, which does not exist",
    files: { "package.json": pkg(api({ packageManager: "yarn@4.9.2" }, { express: "^9.0.0" })) },
    command: "corepack yarn install",
    // CI=1 makes yarn berry immutable by default; this app has no lock yet, as on a first deploy.
    env: { YARN_ENABLE_IMMUTABLE_INSTALLS: "false" },
  },
  // --- bun ---
  {
    id: "bun-frozen-new-dep",
    stack: "bun",
    step: "install",
    expected: "LOCKFILE_OUT_OF_SYNC",
    how: "bun 1.2 install --frozen-lockfile after zod was added to package.json only",
    ...lockedBefore(api(), api({}, { zod: "^3.24.1" }), BUN_LOCK),
    command: "bun install --frozen-lockfile",
  },
  {
    id: "bun-private-scope",
    stack: "bun",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "bun 1.2 install of a scoped package not on the public registry",
    files: { "package.json": pkg(api({}, { "@acme-internal/ui-kit": "^2.3.0" })) },
    command: "bun install",
  },
  {
    id: "bun-zod-five",
    stack: "bun",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "bun 1.2 install asking for zod ^5.0.0, which does not exist",
    files: { "package.json": pkg(api({}, { zod: "^5.0.0" })) },
    command: "bun install",
  },
  {
    id: "npm-tarball-url-gone",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm install with a dependency given as a registry tarball URL of a version that was never published",
    files: {
      "package.json": pkg(
        api(
          {},
          { "body-parser": "https://registry.npmjs.org/body-parser/-/body-parser-9.9.9.tgz" },
        ),
      ),
    },
    command: "npm install --no-audit --no-fund",
  },
  {
    id: "npm-ci-lock-names-unpublished",
    stack: "npm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "npm ci with a lock whose entry for pino was hand-edited to version 9.99.0 (its tarball does not exist)",
    files: { "package.json": pkg(api({}, { pino: "^9.6.0" })) },
    prepare: [
      NPM_LOCK,
      `node -e 'const f="package-lock.json";const l=JSON.parse(require("fs").readFileSync(f));const p=l.packages["node_modules/pino"];p.version="9.99.0";p.resolved="https://registry.npmjs.org/pino/-/pino-9.99.0.tgz";delete p.integrity;require("fs").writeFileSync(f,JSON.stringify(l,null,2))'`,
    ],
    command: "npm ci --no-audit --no-fund",
  },
  {
    id: "pnpm10-peer-strict-vite",
    stack: "pnpm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "pnpm 10 install with strict-peer-dependencies=true, @vitejs/plugin-react 4.3.4 next to vite 3",
    files: {
      "package.json": pkg({
        name: "admin-panel",
        version: "2.0.0",
        private: true,
        packageManager: "pnpm@10.18.3",
        devDependencies: { vite: "^3.2.10", "@vitejs/plugin-react": "4.3.4" },
      }),
      ".npmrc": "strict-peer-dependencies=true\n",
    },
    command: "corepack pnpm install",
  },
  {
    id: "yarn-shim-absent",
    stack: "yarn",
    step: "install",
    expected: "COMMAND_NOT_FOUND",
    how: "a coduck.json install command `yarn install --frozen-lockfile` on a machine where yarn is not on PATH (corepack shims not enabled)",
    files: { "package.json": pkg(api()) },
    command: "yarn install --frozen-lockfile",
  },
  {
    id: "pnpm9-workspace-sibling-absent",
    stack: "pnpm",
    step: "install",
    expected: "DEPENDENCY_RESOLUTION_FAILED",
    how: "pnpm 9 install in a workspace whose app depends on @orders/shared via workspace:* but no such package is in the workspace",
    files: {
      "package.json": pkg({
        name: "orders-monorepo",
        private: true,
        packageManager: "pnpm@9.15.9",
      }),
      "pnpm-workspace.yaml": "packages:\n  - services/*\n",
      "services/api/package.json": pkg(api({}, { "@orders/shared": "workspace:*" })),
    },
    command: "corepack pnpm install",
  },
  {
    id: "yarn1-lock-checksum-edited",
    stack: "yarn",
    step: "install",
    expected: "INSTALL_FAILED",
    how: "yarn 1.22 install --frozen-lockfile with the integrity of pino in yarn.lock replaced by express's",
    files: { "package.json": pkg(api({ packageManager: "yarn@1.22.22" })) },
    prepare: [
      YARN1_LOCK,
      "rm -rf node_modules",
      `node -e 'const fs=require("fs");let t=fs.readFileSync("yarn.lock","utf8");const blocks=t.split("\\n\\n");const ex=blocks.find(b=>b.startsWith("express@")).match(/integrity (\\S+)/)[1];t=blocks.map(b=>b.startsWith("pino@")?b.replace(/integrity \\S+/,"integrity "+ex):b).join("\\n\\n");fs.writeFileSync("yarn.lock",t)'`,
      "yarn cache clean pino >/dev/null 2>&1 || corepack yarn cache clean pino >/dev/null",
    ],
    command: "corepack yarn install --frozen-lockfile",
  },
];

const filters = (process.argv[2] ?? "").split(",");
let failed = 0;
for (const spec of CASES.filter((c) => filters.some((f) => c.id.includes(f)))) {
  try {
    const done = await capture(FILE, { ...spec, env: { ...TOOL_ENV, ...spec.env } });
    console.log(`ok ${spec.id} exit=${done.exitCode} lines=${done.log.split("\n").length}`);
  } catch (error) {
    failed++;
    console.log(`FAILED ${spec.id}: ${(error as Error).message.slice(0, 600)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
