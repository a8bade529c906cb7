import { describe, expect, it } from "vitest";
import { readEnv, startupErrors, startupWarnings } from "../src/env.js";

const PRODUCTION = {
  NODE_ENV: "production",
  WEBHOOK_SECRET: "a-real-secret",
  CURSOR_WEBHOOK_SECRET: "c".repeat(64),
  PUBLIC_URL: "https://orchestra.example.com",
};

describe("environment", () => {
  it("signs state with ORCHESTRA_STATE_SECRET, else the webhook secret, else the private key; the previous secret still verifies", () => {
    expect(readEnv({ ORCHESTRA_STATE_SECRET: "a", ORCHESTRA_STATE_SECRET_PREVIOUS: "b", WEBHOOK_SECRET: "w" }).stateSecrets).toEqual(["a", "b"]);
    expect(readEnv({ WEBHOOK_SECRET: "w", PRIVATE_KEY: "k" }).stateSecrets).toEqual(["w"]);
    expect(readEnv({ PRIVATE_KEY: "k" }).stateSecrets).toEqual(["k"]);
    // Development with nothing set (Probot's setup page): Probot's public default, said loudly.
    expect(readEnv({}).stateSecrets).toEqual(["development"]);
    expect(startupWarnings(readEnv({})).join("\n")).toContain("INSECURE: the state Orchestra keeps in issue bodies");
    expect(readEnv({ NODE_ENV: "production" }).stateSecrets).toEqual([]);
  });

  it("starts in production with the three secrets and addresses set", () => {
    expect(startupErrors(readEnv(PRODUCTION))).toEqual([]);
  });

  it.each([
    { missing: "WEBHOOK_SECRET", says: "Set WEBHOOK_SECRET to the webhook secret of your GitHub App" },
    { missing: "CURSOR_WEBHOOK_SECRET", says: "Set CURSOR_WEBHOOK_SECRET to a random string" },
    { missing: "PUBLIC_URL", says: "Set PUBLIC_URL to the https address" },
  ])("refuses to start in production without $missing, saying what to set", ({ missing, says }) => {
    const env: Record<string, string> = { ...PRODUCTION };
    delete env[missing];
    const errors = startupErrors(readEnv(env));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${missing} is not set`);
    expect(errors[0]).toContain(says);
    // Blank is missing too.
    expect(startupErrors(readEnv({ ...env, [missing]: "  " }))).toEqual(errors);
  });

  it("lists every missing variable at once in production", () => {
    const errors = startupErrors(readEnv({ NODE_ENV: "production" }));
    expect(errors.map((error) => error.split(" ")[0])).toEqual(["WEBHOOK_SECRET", "CURSOR_WEBHOOK_SECRET", "PUBLIC_URL"]);
  });

  it("refuses Probot's public default secret and a PUBLIC_URL that is not an address in production", () => {
    expect(startupErrors(readEnv({ ...PRODUCTION, WEBHOOK_SECRET: "development" }))).toEqual([
      expect.stringContaining(`WEBHOOK_SECRET is Probot's public default "development"`),
    ]);
    expect(startupErrors(readEnv({ ...PRODUCTION, PUBLIC_URL: "orchestra.example.com" }))).toEqual([
      expect.stringContaining(`PUBLIC_URL "orchestra.example.com" is not an http(s) address`),
    ]);
  });

  it("starts in development with nothing set", () => {
    expect(startupErrors(readEnv({}))).toEqual([]);
    expect(startupErrors(readEnv({ NODE_ENV: "development" }))).toEqual([]);
  });

  it("warns loudly in development when webhooks are verified with Probot's default secret", () => {
    for (const env of [{}, { WEBHOOK_SECRET: "development" }]) {
      const [first] = startupWarnings(readEnv(env));
      expect(first).toMatch(/^INSECURE: .*"development".*set WEBHOOK_SECRET/);
    }
    expect(startupWarnings(readEnv({ WEBHOOK_SECRET: "s" })).join("\n")).not.toContain("INSECURE");
  });

  it("derives the web address of another GitHub from GHE_HOST", () => {
    expect(readEnv({}).webUrl).toBe("https://github.com");
    expect(readEnv({ GHE_HOST: "127.0.0.1:4000", GHE_PROTOCOL: "http" }).webUrl).toBe("http://127.0.0.1:4000");
  });

  it("reads the shutdown wait and REDIS_URL", () => {
    expect(readEnv({}).shutdownTimeoutMs).toBe(25_000);
    expect(readEnv({}).redisUrl).toBeUndefined();
    expect(readEnv({ ORCHESTRA_SHUTDOWN_TIMEOUT_MS: "5000", REDIS_URL: "redis://127.0.0.1:6379" })).toMatchObject({
      shutdownTimeoutMs: 5_000,
      redisUrl: "redis://127.0.0.1:6379",
    });
  });

  it("reads ORCHESTRA_NOTIFY_URL, and warns about one that is not an http(s) address without repeating it", () => {
    expect(readEnv({}).notifyUrl).toBeUndefined();
    expect(readEnv({ ORCHESTRA_NOTIFY_URL: " https://hooks.slack.com/services/T0/B0/secret " }).notifyUrl).toBe("https://hooks.slack.com/services/T0/B0/secret");
    expect(startupWarnings(readEnv({ ORCHESTRA_NOTIFY_URL: "https://notify.example/x" })).join("\n")).not.toContain("ORCHESTRA_NOTIFY_URL");
    const warnings = startupWarnings(readEnv({ ORCHESTRA_NOTIFY_URL: "hooks.slack.com/services/T0/B0/xoxTOKEN42" })).join("\n");
    expect(warnings).toContain("ORCHESTRA_NOTIFY_URL is not an http(s) address, so no notification is sent");
    expect(warnings).not.toContain("xoxTOKEN42");
  });

  it("warns about each missing part, naming the variable", () => {
    const warnings = startupWarnings(readEnv({}));
    expect(warnings.join("\n")).toContain("CURSOR_API_KEY");
    expect(warnings.join("\n")).toContain("OPENAI_API_KEY");
    expect(
      startupWarnings(readEnv({ WEBHOOK_SECRET: "w", CURSOR_API_KEY: "k", CURSOR_WEBHOOK_SECRET: "s", PUBLIC_URL: "https://x", OPENAI_API_KEY: "k" })),
    ).toEqual([]);
  });
});
