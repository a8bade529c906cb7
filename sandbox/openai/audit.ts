/**
 * SANDBOX FAKE — never part of src/. The fake auditor's "model": it approves, except the first
 * audit of a task whose text carries `[audit:changes]`, which it sends back with one finding on
 * the first file of the diff. Tasks are told apart by the task section of Orchestra's audit prompt.
 */

/** Orchestra's audit system prompt opens with this (src/llm/prompts/audit-v1.ts). */
export const AUDIT_PROMPT_OPENING = "You are the auditor of Orchestra";
const SCRIPTED_CHANGES = "[audit:changes]";

export interface FakeAuditVerdict {
  verdict: "approve" | "changes";
  findings: Array<{ file: string; line?: number; severity: "error" | "warning" | "info"; message: string }>;
}

export function isAuditRequest(system: string): boolean {
  return system.startsWith(AUDIT_PROMPT_OPENING);
}

/** The fenced text under the prompt's `## The task` heading. */
export function taskOf(prompt: string): string {
  const section = /## The task[^\n]*\n\n(`{3,})[a-z]*\n([\s\S]*?)\n\1/.exec(prompt);
  return section?.[2] ?? "";
}

/** The files the diff shows, from its `--- <status> <path> (+a -d)` headers. */
export function filesOf(prompt: string): string[] {
  return [...prompt.matchAll(/^--- [a-z]+ (\S+) \(\+\d+ -\d+\)$/gm)].map((match) => match[1]!);
}

export class FakeAuditor {
  /** Tasks already sent back once: their next audit approves. */
  private readonly sentBack = new Set<string>();

  judge(prompt: string): FakeAuditVerdict {
    const task = taskOf(prompt);
    if (task.includes(SCRIPTED_CHANGES) && !this.sentBack.has(task)) {
      this.sentBack.add(task);
      const file = filesOf(prompt)[0] ?? "README.md";
      return {
        verdict: "changes",
        findings: [{ file, line: 1, severity: "error", message: "The change has no test of the new behaviour the task asks for; add one." }],
      };
    }
    return { verdict: "approve", findings: [] };
  }
}
