import { describe, expect, it } from "vitest";
import { readEnv, startupErrors, startupWarnings } from "../src/env.js";

describe("environment", () => {
  it("refuses to start in production without WEBHOOK_SECRET, saying what to set", () => {
    const errors = startupErrors(readEnv({ NODE_ENV: "production", ORCHESTRA_STATE_SECRET: "s" }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("WEBHOOK_SECRET");
    expect(startupErrors(readEnv({ NODE_ENV: "production", WEBHOOK_SECRET: "s" }))).toEqual([]);
    expect(startupErrors(readEnv({ PRIVATE_KEY: "k" }))).toEqual([]);
  });

  it("signs state with ORCHESTRA_STATE_SECRET, else the webhook secret, else the private key; the previous secret still verifies", () => {
    expect(readEnv({ ORCHESTRA_STATE_SECRET: "a", ORCHESTRA_STATE_SECRET_PREVIOUS: "b", WEBHOOK_SECRET: "w" }).stateSecrets).toEqual(["a", "b"]);
    expect(readEnv({ WEBHOOK_SECRET: "w", PRIVATE_KEY: "k" }).stateSecrets).toEqual(["w"]);
    expect(readEnv({ PRIVATE_KEY: "k" }).stateSecrets).toEqual(["k"]);
    const errors = startupErrors(readEnv({}));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("ORCHESTRA_STATE_SECRET");
  });

  it("derives the web address of another GitHub from GHE_HOST", () => {
    expect(readEnv({}).webUrl).toBe("https://github.com");
    expect(readEnv({ GHE_HOST: "127.0.0.1:4000", GHE_PROTOCOL: "http" }).webUrl).toBe("http://127.0.0.1:4000");
  });

  it("warns about each missing part, naming the variable", () => {
    const warnings = startupWarnings(readEnv({}));
    expect(warnings.join("\n")).toContain("CURSOR_API_KEY");
    expect(warnings.join("\n")).toContain("OPENAI_API_KEY");
    expect(startupWarnings(readEnv({ CURSOR_API_KEY: "k", CURSOR_WEBHOOK_SECRET: "s", PUBLIC_URL: "https://x", OPENAI_API_KEY: "k" }))).toEqual([]);
  });
});
