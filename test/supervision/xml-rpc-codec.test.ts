import { execFileSync } from "node:child_process";
import { jest } from "@jest/globals";
import fc from "fast-check";
import {
  decodeResponse,
  encodeCall,
  type XmlRpcValue,
} from "../../src/supervision/xml-rpc-codec.js";
import { propertyRuns } from "../helpers/property-runs.js";

jest.setTimeout(30_000);

// supervisord answers through Python's xmlrpc.client.dumps; the codec is held to that writer and
// to Python's reader, one python3 run per batch. (supervisord parses calls itself, with expat: the
// integration tests send calls to the real one.)
function python(script: string, input: unknown): unknown {
  return JSON.parse(
    execFileSync("python3", ["-c", script], { input: JSON.stringify(input) }).toString(),
  );
}

const DUMPS = `
import json, sys, xmlrpc.client
values = json.load(sys.stdin)
print(json.dumps([xmlrpc.client.dumps((v,), methodresponse=True) for v in values]))
`;

const LOADS = `
import json, sys, xmlrpc.client
calls = json.load(sys.stdin)
print(json.dumps([list(xmlrpc.client.loads(c)) for c in calls]))
`;

function xmlAllows(code: number): boolean {
  if (code < 0x20) return code === 0x09 || code === 0x0a;
  return !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff;
}

// Strings as supervisord can carry them: any code point XML 1.0 allows, so no other control
// characters, and no \r (an XML reader turns it into \n).
const xmlText = fc
  .string({ unit: "binary" })
  .map((text) => [...text].filter((char) => xmlAllows(char.codePointAt(0)!)).join(""));
const hostile = fc.constantFrom("<", "&", ">", "&amp;", "]]>", "<![CDATA[x]]>", "'\"", "&#60;");
const text = fc.oneof(
  xmlText,
  fc.array(fc.oneof(hostile, xmlText)).map((parts) => parts.join("")),
);

const { value } = fc.letrec<{ value: XmlRpcValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.boolean(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(text, tie("value"), { maxKeys: 4 }).map((struct) => ({ ...struct })),
  ),
}));

describe("XML-RPC codec", () => {
  it("decodes whatever Python's XML-RPC writer (supervisord's) answers", () => {
    const values = fc.sample(value, propertyRuns(300));
    const answers = python(DUMPS, values) as string[];
    answers.forEach((xml, i) => {
      expect(decodeResponse(xml)).toEqual({ ok: true, value: values[i] });
    });
  });

  it("encodes calls that Python's XML-RPC reader reads back exactly", () => {
    const calls = fc.sample(fc.tuple(fc.stringMatching(/^[a-zA-Z.]+$/), fc.array(value)), {
      ...propertyRuns(300),
    });
    const read = python(
      LOADS,
      calls.map(([method, params]) => encodeCall(method, params)),
    ) as [XmlRpcValue[], string][];
    read.forEach(([params, method], i) => {
      expect(method).toBe(calls[i]![0]);
      expect(params).toEqual(calls[i]![1]);
    });
  });

  it("decodes a fault into its code and string", () => {
    const [xml] = python(
      `import json, xmlrpc.client; print(json.dumps([xmlrpc.client.dumps(xmlrpc.client.Fault(10, "BAD_NAME: <x>"))]))`,
      null,
    ) as string[];
    expect(decodeResponse(xml!)).toEqual({
      ok: false,
      faultCode: 10,
      faultString: "BAD_NAME: <x>",
    });
  });

  it("refuses what supervisord never sends instead of guessing", () => {
    const answer = (inner: string) =>
      `<?xml version="1.0"?><methodResponse><params><param><value>${inner}</value></param></params></methodResponse>`;
    expect(() => decodeResponse(answer("<double>1.5</double>"))).toThrow(/unsupported value type/);
    expect(() => decodeResponse(answer("<int>x</int>"))).toThrow(/bad int/);
    expect(() => decodeResponse(answer("<string>a</int>"))).toThrow(/closes/);
    expect(() => decodeResponse("<html>Not found</html>")).toThrow(/methodResponse/);
    expect(() => encodeCall("m", [1.5])).toThrow(/int expected/);
    expect(decodeResponse(answer("plain"))).toEqual({ ok: true, value: "plain" });
  });
});
