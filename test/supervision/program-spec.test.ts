import { jest } from "@jest/globals";
import type { ProgramSpec } from "../../src/supervision/program-spec.js";
import {
  checkProgramName,
  checkProgramSpec,
  MAX_STOP_WAIT_SECS,
} from "../../src/supervision/program-spec.js";
import { supervisorPaths } from "../../src/supervision/supervisor-paths.js";

jest.setTimeout(10_000);

const spec: ProgramSpec = {
  name: "web-1",
  command: { file: "/usr/bin/node", args: ["server.js", "'; rm -rf /"], cwd: "/srv/app", env: {} },
  logFile: "/var/log/coduck/web-1.log",
  logMaxBytes: 1_000_000,
  logBackups: 3,
  startSecs: 1,
  startRetries: 3,
  stopWaitSecs: 10,
};
const command = spec.command;

describe("checkProgramSpec", () => {
  it("accepts a spec whose arguments and values are anything but NUL", () => {
    const hostile = { ...command, args: ["$(id)\n`x`%'\""], env: { A_1: "%(here)s\n'" } };
    expect(checkProgramSpec({ ...spec, command: hostile })).toBeTruthy();
  });

  it.each([
    ["a name outside [a-z0-9-]", { ...spec, name: "Web" }],
    ["a name with a path in it", { ...spec, name: "../x" }],
    ["a name starting with -", { ...spec, name: "-x" }],
    ["an empty name", { ...spec, name: "" }],
    ["a relative command file", { ...spec, command: { ...command, file: "node" } }],
    [
      "a command file env would read as a variable",
      { ...spec, command: { ...command, file: "/a=b" } },
    ],
    ["NUL in an argument", { ...spec, command: { ...command, args: ["a\0b"] } }],
    ["NUL in a value", { ...spec, command: { ...command, env: { A: "\0" } } }],
    ["an invalid variable name", { ...spec, command: { ...command, env: { "A B": "1" } } }],
    ["a cwd with an INI comment in it", { ...spec, command: { ...command, cwd: "/srv/a ;b" } }],
    ["a cwd with a newline", { ...spec, command: { ...command, cwd: "/srv/a\nb=c" } }],
    ["a log file with %-expansion", { ...spec, logFile: "/var/log/%(here)s" }],
    ["a relative log file", { ...spec, logFile: "web.log" }],
    ["a negative number", { ...spec, startRetries: -1 }],
    ["a fraction", { ...spec, stopWaitSecs: 1.5 }],
    ["a stop longer than removal waits for", { ...spec, stopWaitSecs: MAX_STOP_WAIT_SECS + 1 }],
  ])("refuses %s", (_, bad) => {
    expect(() => checkProgramSpec(bad as ProgramSpec)).toThrow();
  });

  it("names the rule a bad name broke", () => {
    expect(() => checkProgramName("Web")).toThrow(/a-z, 0-9 and -/);
  });
});

describe("supervisorPaths", () => {
  it("refuses a directory whose socket path would not fit a unix socket address", () => {
    expect(() => supervisorPaths(`/tmp/${"d".repeat(100)}`)).toThrow(/too long/);
    expect(supervisorPaths("/var/lib/coduck/supervisor").socket).toBe(
      "/var/lib/coduck/supervisor/supervisor.sock",
    );
  });
});
