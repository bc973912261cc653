// The slice of XML-RPC that supervisord speaks (it answers through Python's xmlrpc.client.dumps):
// calls carry strings, integers, booleans, arrays and structs; answers carry the same, or a fault.
// Only that slice is parsed; anything else is an error, never a guess.

/** A value that crosses supervisord's XML-RPC interface. */
export type XmlRpcValue =
  | string
  | number
  | boolean
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

/** A decoded answer: the returned value, or supervisord's fault. */
export type XmlRpcAnswer =
  | { ok: true; value: XmlRpcValue }
  | { ok: false; faultCode: number; faultString: string };

/** The request body for `method(params)`. */
export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  const encoded = params.map((param) => `<param>${encodeValue(param)}</param>`).join("");
  return `<?xml version="1.0"?><methodCall><methodName>${escapeText(method)}</methodName><params>${encoded}</params></methodCall>`;
}

function encodeValue(value: XmlRpcValue): string {
  if (typeof value === "string") return `<value><string>${escapeText(value)}</string></value>`;
  if (typeof value === "boolean") return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`XML-RPC int expected, got ${value}`);
    return `<value><int>${value}</int></value>`;
  }
  if (Array.isArray(value)) {
    return `<value><array><data>${value.map(encodeValue).join("")}</data></array></value>`;
  }
  const members = Object.entries(value).map(
    ([name, member]) => `<member><name>${escapeText(name)}</name>${encodeValue(member)}</member>`,
  );
  return `<value><struct>${members.join("")}</struct></value>`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

type XmlElement = { tag: string; children: XmlElement[]; text: string };

/** Decodes a `<methodResponse>`: its one param's value, or its fault. Throws on anything else. */
export function decodeResponse(xml: string): XmlRpcAnswer {
  const root = parseXml(xml);
  const [body] = expectTag(root, "methodResponse").children;
  if (body?.tag === "fault") {
    const fault = decodeValue(only(body, "value"));
    if (typeof fault !== "object" || Array.isArray(fault)) throw malformed("fault is not a struct");
    const { faultCode, faultString } = fault;
    if (typeof faultCode !== "number" || typeof faultString !== "string") {
      throw malformed("fault lacks faultCode or faultString");
    }
    return { ok: false, faultCode, faultString };
  }
  if (body?.tag !== "params") throw malformed("neither params nor fault");
  return { ok: true, value: decodeValue(only(only(body, "param"), "value")) };
}

function decodeValue(value: XmlElement): XmlRpcValue {
  const [typed] = value.children;
  if (typed === undefined) return value.text; // an untyped <value> is a string
  switch (typed.tag) {
    case "string":
      return typed.text;
    case "int":
    case "i4": {
      const number = Number(typed.text.trim());
      if (!Number.isSafeInteger(number)) throw malformed(`bad int ${typed.text}`);
      return number;
    }
    case "boolean":
      if (typed.text.trim() !== "0" && typed.text.trim() !== "1") throw malformed("bad boolean");
      return typed.text.trim() === "1";
    case "array":
      return only(typed, "data").children.map((item) => decodeValue(expectTag(item, "value")));
    case "struct":
      return Object.fromEntries(
        typed.children.map((member) => {
          expectTag(member, "member");
          return [only(member, "name").text, decodeValue(only(member, "value"))];
        }),
      );
    default:
      throw malformed(`unsupported value type <${typed.tag}>`);
  }
}

function only(parent: XmlElement, tag: string): XmlElement {
  const found = parent.children.filter((child) => child.tag === tag);
  if (found.length !== 1) throw malformed(`<${parent.tag}> needs one <${tag}>`);
  return found[0]!;
}

function expectTag(element: XmlElement, tag: string): XmlElement {
  if (element.tag !== tag) throw malformed(`<${tag}> expected, got <${element.tag}>`);
  return element;
}

// Elements, their text and the five entities with numeric references: all Python's XML-RPC
// writer produces (no attributes it relies on, no CDATA, no comments).
function parseXml(xml: string): XmlElement {
  const document: XmlElement = { tag: "#document", children: [], text: "" };
  const open: XmlElement[] = [document];
  const token = /<\?[^>]*\?>|<(\/?)([A-Za-z][\w.:-]*)[^>]*?(\/?)>|([^<]+)|(<)/g;
  for (const [, closing, tag, selfClosing, text, stray] of xml.matchAll(token)) {
    const current = open[open.length - 1]!;
    if (stray !== undefined) throw malformed("stray <");
    if (text !== undefined) {
      current.text += decodeEntities(text);
    } else if (tag === undefined) {
      // the <?xml ...?> declaration: nothing to keep
    } else if (closing) {
      if (current.tag !== tag) throw malformed(`</${tag}> closes <${current.tag}>`);
      open.pop();
    } else {
      const element: XmlElement = { tag, children: [], text: "" };
      current.children.push(element);
      if (!selfClosing) open.push(element);
    }
  }
  if (open.length !== 1 || document.children.length !== 1) throw malformed("unbalanced document");
  return document.children[0]!;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith("#x")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    const entity = ENTITIES[name];
    if (entity === undefined) throw malformed(`unknown entity ${whole}`);
    return entity;
  });
}

function malformed(why: string): Error {
  return new Error(`malformed XML-RPC answer from supervisord: ${why}`);
}
