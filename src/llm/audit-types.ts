import type { CheckResult } from "../orchestration/snapshot.js";
import type { ProviderName } from "./types.js";

/** What the auditor reads of one task PR. */
export interface AuditInput {
  task: { title: string; details: string };
  epic: { number: number; title: string; text: string };
  pull: { number: number; body: string; changedFiles: number };
  /** As GitHub lists them, possibly fewer than `changedFiles` (the pages past `maxDiffBytes` are not read). */
  files: Array<{ path: string; status: string; additions: number; deletions: number; patch?: string }>;
  checks: CheckResult[];
  maxDiffBytes: number;
}

export type FindingSeverity = "error" | "warning" | "info";

export interface AuditFinding {
  file: string;
  line?: number;
  severity: FindingSeverity;
  message: string;
}

export interface AuditVerdict {
  verdict: "approve" | "changes";
  findings: AuditFinding[];
}

/** Tokens every call of one audit cost (invalid answers and the retry included): what the epic's LLM budget counts. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export type AuditResult =
  | (AuditVerdict & { ok: true; provider: ProviderName; model: string; usage: TokenUsage })
  /** `error` is markdown meant for an issue comment; it never contains an API key. */
  | { ok: false; error: string; usage: TokenUsage };
