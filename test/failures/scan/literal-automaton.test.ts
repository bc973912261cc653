import { buildLiteralAutomaton, literalsIn } from "../../../src/failures/scan/literal-automaton.js";

const found = (literals: string[], text: string) =>
  literalsIn(buildLiteralAutomaton(literals), text).map((index) => literals[index]);

describe("the literal automaton", () => {
  it("finds every literal a text holds, overlapping ones included", () => {
    expect(found(["he", "she", "his", "hers"], "ushers")).toEqual(["he", "she", "hers"]);
    expect(found(["aaa", "aa"], "aaaa")).toEqual(["aaa", "aa"]);
    expect(found(["error", "error:", "rror: x"], "Error: x")).toEqual([
      "error",
      "error:",
      "rror: x",
    ]);
    expect(found(["abcd", "bc"], "abce")).toEqual(["bc"]);
  });

  it("ignores ASCII case on both sides, and only ASCII case", () => {
    expect(found(["EADDRINUSE", "heap Out"], "listen eaddrinuse and HEAP out")).toEqual([
      "EADDRINUSE",
      "heap Out",
    ]);
    expect(found(["é"], "É")).toEqual([]);
    expect(found(["✘ [error]"], "✘ [ERROR] x")).toEqual(["✘ [error]"]);
    // A letter's other cases beyond ASCII are other characters (the Kelvin sign is not K).
    expect(found(["kill"], "\u212aill")).toEqual([]);
  });

  it("reads text as UTF-8: characters beyond the BMP, lone surrogates as U+FFFD", () => {
    expect(found(["a😀b", "\ufffd!"], "xa😀b \ud800!")).toEqual(["a😀b", "\ufffd!"]);
  });

  it("starts afresh after a newline or an escape byte", () => {
    expect(found(["ab"], "a\nb")).toEqual([]);
    expect(found(["ab"], "a\x1bb")).toEqual([]);
    expect(found(["ab"], "a\nab")).toEqual(["ab"]);
  });

  it("refuses what it cannot look for", () => {
    expect(() => buildLiteralAutomaton([""])).toThrow(/not a literal/);
    expect(() => buildLiteralAutomaton(["a\nb"])).toThrow(/not a literal/);
  });

  it("keeps every state a scan must look at at or above acceptFrom", () => {
    const automaton = buildLiteralAutomaton(["ab", "b", "abc"]);
    const { literalsAt, acceptFrom, escapeState, width, delta, classOf } = automaton;
    expect([...literalsAt.keys()].every((state) => state >= acceptFrom)).toBe(true);
    expect(literalsAt.size).toBe(3);
    expect(escapeState).toBe(acceptFrom + 3 * width);
    for (let state = 0; state <= escapeState; state += width) {
      expect(delta[state + classOf[0x0a]!]).toBe(0);
      expect(delta[state + classOf[0x1b]!]).toBe(escapeState);
    }
  });
});
