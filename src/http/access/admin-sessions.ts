import { createHash, randomBytes } from "node:crypto";
import {
  createAdminSession,
  deleteExpiredAdminSessions,
  isLiveAdminSession,
  revokeAdminSession,
} from "../../store/admin-sessions.js";
import type { Db } from "../../store/prisma.js";
import { mac, sameSecret } from "./admin-secret.js";

export const SESSION_COOKIE = "coduck_admin";
export const SESSION_SECONDS = 12 * 3600;

/**
 * The dashboard's login sessions, kept server-side: the cookie is `<secret>.<mac>`, a random
 * secret signed with ADMIN_TOKEN (changing the token ends every session, and a forged cookie
 * is refused before the database is asked); the database keeps the secret's SHA-256 with the
 * session's expiry and, once logged out, when it was revoked. A copied cookie stops working
 * at logout and at expiry, whatever the cookie itself says.
 */
export type AdminSessions = {
  /** Records a new session; returns the cookie's value. */
  open(): Promise<string>;
  /** The session's secret when the cookie is signed, recorded, not revoked and not expired. */
  find(cookie: string): Promise<string | null>;
  /** Ends the session on the server. */
  revoke(session: string): Promise<void>;
};

export function adminSessions(db: Db, token: string): AdminSessions {
  return {
    async open() {
      const now = Date.now();
      // Logins are rare: a good moment to forget sessions that can never count again.
      await deleteExpiredAdminSessions(db, new Date(now));
      const secret = randomBytes(32).toString("base64url");
      await createAdminSession(db, {
        id: sessionId(secret),
        expiresAt: new Date(now + SESSION_SECONDS * 1000),
      });
      return `${secret}.${mac(token, `session-id:${secret}`)}`;
    },
    async find(cookie) {
      const dot = cookie.lastIndexOf(".");
      if (dot <= 0) return null;
      const secret = cookie.slice(0, dot);
      if (!sameSecret(cookie.slice(dot + 1), mac(token, `session-id:${secret}`))) return null;
      return (await isLiveAdminSession(db, sessionId(secret))) ? secret : null;
    },
    async revoke(session) {
      await revokeAdminSession(db, sessionId(session));
    },
  };
}

/** The session's key in the database: its secret's SHA-256, so the table holds no cookie. */
export function sessionId(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The Set-Cookie header for a session (an empty value: the browser forgets it). */
export function sessionCookieHeader(value: string, secure: boolean): string {
  const maxAge = value === "" ? 0 : SESSION_SECONDS;
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}
