import { WrongTokenLimit } from "../../src/http/access/wrong-token-limit.js";

describe("WrongTokenLimit", () => {
  let now = 0;
  const limit = () => new WrongTokenLimit(3, 60_000, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it("refuses an address once it sent the most wrong tokens, for the rest of the window from its first", () => {
    const wrong = limit();
    wrong.wrongToken("a");
    now += 20_000;
    wrong.wrongToken("a");
    expect(wrong.retryAfterSeconds("a")).toBe(0);
    wrong.wrongToken("a");
    expect(wrong.retryAfterSeconds("a")).toBe(40);
    expect(wrong.retryAfterSeconds("b")).toBe(0);
    now += 39_500;
    expect(wrong.retryAfterSeconds("a")).toBe(1);
    now += 500;
    expect(wrong.retryAfterSeconds("a")).toBe(0);
  });

  it("counts afresh once the window has passed", () => {
    const wrong = limit();
    wrong.wrongToken("a");
    wrong.wrongToken("a");
    now += 60_000;
    wrong.wrongToken("a");
    wrong.wrongToken("a");
    expect(wrong.retryAfterSeconds("a")).toBe(0);
    wrong.wrongToken("a");
    expect(wrong.retryAfterSeconds("a")).toBe(60);
  });

  it("keeps a bounded number of addresses, forgetting the least recently heard first", () => {
    const wrong = limit();
    for (let i = 0; i < 3; i++) wrong.wrongToken("held");
    for (let i = 0; i < 10_000; i++) wrong.wrongToken(`10.${i >> 8}.${i & 255}.1`);
    // "held" was the least recently heard of 10,001: forgotten, so let through again.
    expect(wrong.retryAfterSeconds("held")).toBe(0);
    for (let i = 0; i < 3; i++) wrong.wrongToken("10.0.0.1");
    expect(wrong.retryAfterSeconds("10.0.0.1")).toBe(60);
  });
});
