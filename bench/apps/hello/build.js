// A tiny build: copies the server into dist/ and stamps it with the build time.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

mkdirSync("dist", { recursive: true });
const source = readFileSync("server.js", "utf8");
writeFileSync("dist/server.js", `// built ${new Date().toISOString()}\n${source}`);
console.log("built dist/server.js");
