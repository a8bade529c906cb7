import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseConfigText, validateConfig } from "../src/orchestration/config.js";
import { configSchemaJson } from "../src/orchestration/config-schema.js";

describe("configuration", () => {
  it.each([
    { input: "", valid: true },
    { input: "concurrency: 2\nmergeMethod: rebase\n", valid: true },
    { input: "planner:\n  provider: anthropic\n  maxTasks: 5\n", valid: true },
    { input: "budget:\n  agentRuns: 10\n", valid: true },
    { input: "audit:\n  enabled: true\n  model: gpt-4o\n  maxDiffBytes: 20000\n", valid: true },
    { input: "audit:\n  maxDiffBytes: 10\n", valid: false, errorContains: "→ at audit.maxDiffBytes" },
    { input: "audit:\n  enabled: sometimes\n", valid: false, errorContains: "→ at audit.enabled" },
    { input: "comments: all\n", valid: true },
    { input: "comments: quiet\n", valid: true },
    { input: "comments: loud\n", valid: false, errorContains: "→ at comments" },
    { input: "concurrency: two\n", valid: false, errorContains: "→ at concurrency" },
    { input: "concurrency: 0\n", valid: false, errorContains: "Too small" },
    { input: "planner:\n  maxTasks: 100\n", valid: false, errorContains: "→ at planner.maxTasks" },
    { input: "mergeMethod: fast-forward\n", valid: false, errorContains: "→ at mergeMethod" },
    { input: "autoStart: yes please\n", valid: false, errorContains: "→ at autoStart" },
    { input: "labels: epic\n", valid: false, errorContains: 'Unrecognized key: "labels"' },
    { input: "concurrency: [1\n", valid: false, errorContains: "not valid YAML" },
    { input: "- just\n- a list\n", valid: false, errorContains: "expected object" },
  ])("$input → valid $valid", ({ input, valid, errorContains }) => {
    const result = parseConfigText(input);
    expect(result.ok).toBe(valid);
    if (!result.ok) expect(result.error).toContain(errorContains);
  });

  it("has a default for every field, so no file is needed", () => {
    expect(validateConfig(null)).toEqual({ ok: true, config: DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG).toMatchObject({
      label: "epic",
      autoStart: false,
      concurrency: 1,
      maxAttempts: 3,
      mergeMethod: "squash",
      requireApproval: false,
      deleteBranch: true,
      closeOnComplete: true,
      comments: "quiet",
      planner: { provider: "auto", maxTasks: 10 },
      budget: { agentRuns: 50 },
      audit: { enabled: false, maxDiffBytes: 60_000 },
    });
  });

  it("publishes a JSON Schema in which no field is required, and the committed copy is current", () => {
    const schema = configSchemaJson() as { required?: string[]; properties: Record<string, { required?: string[] }> };
    expect(schema.required ?? []).toEqual([]);
    for (const property of Object.values(schema.properties)) expect(property.required ?? []).toEqual([]);
    const committed = JSON.parse(readFileSync(new URL("../schema/orchestra.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(schema);
  });
});
