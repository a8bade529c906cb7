import type { OrchestraConfig } from "../orchestration/config.js";
import { parseAuditAnswer } from "./audit-output.js";
import type { AuditInput, AuditResult, TokenUsage } from "./audit-types.js";
import { callWithFallback } from "./call-with-fallback.js";
import { redactSecrets } from "./errors.js";
import { AUDIT_PROMPT_VERSION, AUDIT_SYSTEM_PROMPT, renderAuditPrompt } from "./prompts/audit-v1.js";
import { resolveProviders } from "./providers.js";
import type { ChatMessage, LlmObserver, PlannerLogger, SdkOptions } from "./types.js";

export interface AuditOptions {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** The providers are the planner's (`planner.provider`); the model is `audit.model`, else `planner.model`. */
  planner: OrchestraConfig["planner"];
  audit: OrchestraConfig["audit"];
  log?: PlannerLogger;
  sdkOptions?: SdkOptions;
  signal?: AbortSignal;
  observe?: LlmObserver;
}

const silent: PlannerLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Judges one task PR: the same providers and fallback as the planner, the answer validated,
 * an invalid one sent back once with the problem named. Every failure comes back as a result
 * whose `error` can be posted as is; `usage` counts the tokens of every call made.
 */
export async function auditPull(input: AuditInput, options: AuditOptions): Promise<AuditResult> {
  const log = options.log ?? silent;
  const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  const chain = resolveProviders(options.env, { ...options.planner, ...(options.audit.model ? { model: options.audit.model } : {}) }, options.sdkOptions);
  if (!chain.ok) return { ok: false, usage, error: `Orchestra cannot audit pull request #${input.pull.number}: no LLM API key is configured (\`OPENAI_API_KEY\` or \`ANTHROPIC_API_KEY\`)` };
  const clean = (text: string) => redactSecrets(text, chain.secrets);
  // The tokens of every call, the failed and the invalid included: all of them are spent.
  const observe: LlmObserver = (call) => {
    if (call.usage) {
      usage.inputTokens += call.usage.inputTokens;
      usage.outputTokens += call.usage.outputTokens;
    }
    options.observe?.(call);
  };
  const prompt = renderAuditPrompt(input);
  const fields = { pr: input.pull.number, promptVersion: AUDIT_PROMPT_VERSION };
  log.debug({ ...fields, promptChars: prompt.length, providers: chain.providers.map((p) => p.name) }, "auditor: asking for a verdict");

  const first = await callWithFallback(chain.providers, AUDIT_SYSTEM_PROMPT, prompt, log, options.signal, observe);
  if (!first.ok) return failed(input, `no model answered: ${clean(first.error)}`, usage, log);
  let answered = first;
  let parsed = parseAuditAnswer(first.answer);
  if (!parsed.ok) {
    log.warn({ ...fields, provider: first.provider.name, problem: parsed.error }, "auditor: invalid answer, asking once more");
    const followUp: ChatMessage[] = [
      { role: "user", content: prompt },
      { role: "assistant", content: first.answer },
      { role: "user", content: `Your answer was invalid: ${parsed.error.replace(/\s*\n\s*/g, " ")}. Reply again with only the JSON.` },
    ];
    const second = await callWithFallback(first.chain, AUDIT_SYSTEM_PROMPT, followUp, log, options.signal, observe);
    if (!second.ok) return failed(input, `no model answered: ${clean(second.error)}`, usage, log);
    answered = second;
    parsed = parseAuditAnswer(second.answer);
  }
  const { provider } = answered;
  if (!parsed.ok) {
    return failed(input, `the model (${provider.name} \`${provider.model}\`) answered twice with an invalid verdict. The last problem: ${clean(parsed.error).replace(/\s*\n\s*/g, " ")}`, usage, log);
  }
  log.info({ ...fields, provider: provider.name, model: provider.model, verdict: parsed.verdict, findings: parsed.findings.length, usage }, "auditor: verdict");
  return { ok: true, verdict: parsed.verdict, findings: parsed.findings, provider: provider.name, model: provider.model, usage };
}

function failed(input: AuditInput, reason: string, usage: TokenUsage, log: PlannerLogger): AuditResult {
  log.warn({ pr: input.pull.number, promptVersion: AUDIT_PROMPT_VERSION, err: reason }, "auditor: no verdict");
  return { ok: false, usage, error: `Orchestra could not audit pull request #${input.pull.number}: ${reason.replace(/[.\s]+$/, "")}` };
}
