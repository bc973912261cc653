import { cleanLogText } from "../../src/secrets/redact-secrets.js";

const SECRET = "pa55word-of-the-project";

describe("cleanLogText", () => {
  it("redacts every secret and removes NUL", () => {
    expect(cleanLogText(`a ${SECRET} b ${SECRET}\u0000`, [SECRET])).toBe(
      "a [redacted] b [redacted]",
    );
  });

  it("of a line's start cut from a longer line, redacts a secret it ends partway into", () => {
    const cut = `connecting with ${SECRET.slice(0, 9)}`;
    expect(cleanLogText(cut, [SECRET], true)).toBe("connecting with [redacted]");
    // A whole line ends where it ends: nothing follows that could complete a secret.
    expect(cleanLogText(cut, [SECRET])).toBe(cut);
  });
});
