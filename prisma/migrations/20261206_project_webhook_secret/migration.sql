-- Each project's own GitHub webhook secret, and the real repository URL when it carries
-- credentials (the repoUrl column then holds it redacted). Both AES-256-GCM under the
-- SECRETS_KEY version beside them.
ALTER TABLE "Project" ADD COLUMN "webhookSecretEncrypted" TEXT,
ADD COLUMN "webhookSecretKeyVersion" INTEGER,
ADD COLUMN "repoUrlEncrypted" TEXT,
ADD COLUMN "repoUrlKeyVersion" INTEGER;
