import { getTransformStream } from "@probot/pino";
import pino, { type Logger } from "pino";

/** Paths whose values never reach the logs, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  "apiKey",
  "token",
  "secret",
  "privateKey",
  "authorization",
  "*.apiKey",
  "*.token",
  "*.secret",
  "*.privateKey",
  "*.authorization",
  "*.headers.authorization",
  "*.*.headers.authorization",
  "headers.authorization",
  "req.headers.authorization",
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-webhook-signature"]',
];

/** Probot's own log format (pretty or JSON through LOG_FORMAT), with secrets redacted. */
export async function createLogger(env: NodeJS.ProcessEnv = process.env): Promise<Logger> {
  const transform = await getTransformStream({
    ...(env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty" ? { logFormat: env.LOG_FORMAT } : {}),
    logLevelInString: env.LOG_LEVEL_IN_STRING === "true",
  });
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino(
    {
      name: "orchestra",
      level: env.LOG_LEVEL ?? "info",
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    transform,
  );
}
