import { z } from "zod";
import type { AuditVerdict } from "./audit-types.js";
import { parseJsonAnswer } from "./plan-output.js";

/** Bounds that keep a check run (65,535 characters of summary, 50 annotations a request) and a follow-up readable. */
export const MAX_FINDINGS = 100;
export const MAX_FINDING_CHARS = 2_000;
const MAX_PATH_CHARS = 500;

const findingSchema = z.object({
  file: z.string({ error: "each finding needs a string `file`" }).trim().min(1, { error: "`file` must not be empty" }).max(MAX_PATH_CHARS),
  line: z
    .number({ error: "`line` must be a number" })
    .int({ error: "`line` must be a whole number" })
    .min(1, { error: "`line` counts from 1" })
    .nullish()
    .transform((line) => line ?? undefined),
  severity: z.enum(["error", "warning", "info"], { error: "`severity` must be \"error\", \"warning\" or \"info\"" }),
  message: z
    .string({ error: "each finding needs a string `message`" })
    .trim()
    .min(1, { error: "messages must not be empty" })
    .max(MAX_FINDING_CHARS, { error: `messages must be at most ${MAX_FINDING_CHARS} characters` }),
});

const auditSchema = z
  .object(
    {
      verdict: z.enum(["approve", "changes"], { error: "`verdict` must be \"approve\" or \"changes\"" }),
      findings: z
        .array(findingSchema, { error: "`findings` must be a list" })
        .max(MAX_FINDINGS, { error: `at most ${MAX_FINDINGS} findings` })
        .default([]),
    },
    { error: "the answer must be a JSON object with a `verdict` and `findings`" },
  )
  .refine((audit) => audit.verdict === "approve" || audit.findings.length > 0, {
    error: "a `changes` verdict needs at least one finding saying what to change",
  });

export type ParsedAudit = ({ ok: true } & AuditVerdict) | { ok: false; error: string };

/** The model's answer as a verdict, or what is wrong with it (sent back to the model once). Never throws. */
export function parseAuditAnswer(answer: string): ParsedAudit {
  const json = parseJsonAnswer(answer);
  if (!json.ok) return json;
  const parsed = auditSchema.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  const findings = parsed.data.findings.map(({ line, ...finding }) => ({ ...finding, ...(line !== undefined ? { line } : {}) }));
  return { ok: true, verdict: parsed.data.verdict, findings };
}
