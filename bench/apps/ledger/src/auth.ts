import jwt from "jsonwebtoken";

const SECRET = process.env.JWT_SECRET ?? "bench-only";

export type Claims = { sub: string; scope: string[] };

export function sign(claims: Claims): string {
  return jwt.sign(claims, SECRET, { expiresIn: "1h" });
}

export function verify(token: string): Claims | null {
  try {
    const decoded = jwt.verify(token, SECRET);
    if (typeof decoded === "string") return null;
    return { sub: String(decoded.sub), scope: Array.isArray(decoded.scope) ? decoded.scope : [] };
  } catch {
    return null;
  }
}
