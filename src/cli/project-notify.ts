import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { checkNotifyUrl } from "../notify/notify-url.js";
import { loadKeyring } from "../secrets/keyring.js";
import { changeNotificationTarget, type NotifyChange } from "../store/notification-targets.js";
import { connectDb } from "../store/prisma.js";

export type NotifyOptions = { notifyUrl?: string; rotateNotifySecret?: boolean; notify?: boolean };

/** The notification change `projects set` asks for, checked; null when it asks for none. */
export function parseNotifyOptions(options: NotifyOptions): NotifyChange | null {
  const remove = options.notify === false;
  if (remove && (options.notifyUrl !== undefined || options.rotateNotifySecret))
    throw new UsageError(
      "--no-notify: cannot be combined with --notify-url or --rotate-notify-secret",
    );
  if (remove) return { kind: "remove" };
  if (options.notifyUrl !== undefined) {
    const checked = checkNotifyUrl(options.notifyUrl);
    if (!checked.ok) throw new UsageError(`--notify-url: ${checked.error}`);
    return { kind: "set", url: checked.url, rotateSecret: options.rotateNotifySecret === true };
  }
  if (options.rotateNotifySecret) return { kind: "rotate" };
  return null;
}

/** The notification part of `projects set <slug>`: prints a new signing secret once. */
export async function setProjectNotifyCommand(
  config: Config,
  slug: string,
  change: NotifyChange,
  out: NodeJS.WritableStream,
): Promise<void> {
  const valid = projectSlug.safeParse(slug);
  if (!valid.success) throw new UsageError(`<slug>: ${valid.error.issues[0]!.message}`);
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  const db = connectDb(config.databaseUrl);
  try {
    const outcome = await changeNotificationTarget(db, keyring, valid.data, change).catch(
      (error: Error) => {
        throw new UsageError(error.message, { cause: error });
      },
    );
    if (!outcome) throw new UsageError(`no project ${valid.data}: add it with projects add`);
    if (!outcome.url) {
      out.write(`project ${valid.data}: status changes are no longer notified\n`);
      return;
    }
    out.write(`project ${valid.data}: status changes are POSTed to ${outcome.url}\n`);
    if (outcome.secret) {
      out.write(
        `signing secret (shown once; X-CoDuck-Signature-256 is sha256=HMAC-SHA256 of the body with it):\n${outcome.secret}\n`,
      );
    }
  } finally {
    await db.$disconnect();
  }
}
