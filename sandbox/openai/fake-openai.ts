/**
 * SANDBOX FAKE — never part of src/. `FakeOpenAI`: a local server answering like OpenAI's chat
 * completions API, with a deterministic plan (plan.ts) in the real `chat.completion` shape, so
 * the app's planner runs through the official SDK unchanged (OPENAI_BASE_URL points here). It
 * answers Orchestra's audits too (audit.ts), recognised by their system prompt.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { bearerToken, listenOnLoopback, parseJson, readBody, RequestCounter, sendJson } from "../shared/http.js";
import type { Listening } from "../shared/http.js";
import { Transcript } from "../shared/transcript.js";
import { FakeAuditor, isAuditRequest } from "./audit.js";
import { planTasks, readPlanningPrompt } from "./plan.js";

export interface FakeOpenAIOptions {
  apiKey: string;
  transcript?: Transcript;
  port?: number;
}

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const chatRequestSchema = z.looseObject({
  model: z.string().min(1, { error: "you must provide a model parameter" }),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "developer", "user", "assistant", "tool"]),
        content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
      }),
    )
    .min(1, { error: "messages must contain at least one message" }),
  stream: z.boolean().nullish(),
  response_format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) }).nullish(),
});

type ChatRequest = z.output<typeof chatRequestSchema>;

export interface RecordedChatRequest {
  at: number;
  body: ChatRequest;
}

function openAiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function textOf(content: ChatRequest["messages"][number]["content"]): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("\n");
  return "";
}

export class FakeOpenAI {
  readonly transcript: Transcript;
  readonly requests: RecordedChatRequest[] = [];
  private readonly counter = new RequestCounter();
  private readonly failures: Array<{ status: number; remaining: number }> = [];
  private listening: Listening | undefined;
  private readonly auditor = new FakeAuditor();

  constructor(private readonly options: FakeOpenAIOptions) {
    this.transcript = options.transcript ?? new Transcript();
  }

  async start(): Promise<{ url: string }> {
    if (this.listening) return { url: this.listening.url };
    this.listening = await listenOnLoopback((req, res) => this.handle(req, res), this.options.port ?? 0);
    this.transcript.record("info", `fake OpenAI API (sandbox) listening on ${this.listening.url}/v1`);
    return { url: this.listening.url };
  }

  async stop(): Promise<void> {
    await this.listening?.close();
    this.listening = undefined;
  }

  get url(): string {
    if (!this.listening) throw new Error("FakeOpenAI is not started");
    return this.listening.url;
  }

  /** OPENAI_BASE_URL: `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  requestCount(key: string): number {
    return this.counter.get(key);
  }

  requestCounts(): Record<string, number> {
    return this.counter.all();
  }

  /** The next `times` completions fail with `status` (429 and 5xx are retried by the SDK). */
  failNext(status: number, times = 1): void {
    this.failures.push({ status, remaining: times });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake-openai.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const key = `${method} ${url.pathname}`;
    this.counter.add(key);
    const headers = { "x-request-id": `req_${randomBytes(12).toString("hex")}`, "openai-processing-ms": "1" };
    const token = bearerToken(req);
    if (token !== this.options.apiKey) {
      const shown = token ? `${token.slice(0, 3)}***${token.slice(-4)}` : "";
      const message = token
        ? `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.";
      return sendJson(res, 401, openAiError(message, "invalid_request_error", token ? "invalid_api_key" : null), headers);
    }
    if (key === "GET /v1/models") {
      return sendJson(res, 200, { object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "system" }] }, headers);
    }
    if (key !== "POST /v1/chat/completions") {
      return sendJson(res, 404, openAiError(`Invalid URL (${method} ${url.pathname})`, "invalid_request_error", null), headers);
    }
    const failure = this.failures.find((entry) => entry.remaining > 0);
    if (failure) {
      failure.remaining--;
      const type = failure.status === 429 ? "rate_limit_exceeded" : "server_error";
      return sendJson(res, failure.status, openAiError(`Injected failure (${failure.status})`, type, null), headers);
    }
    const parsed = parseJson(await readBody(req, 5_000_000));
    if (!parsed.ok) {
      return sendJson(res, 400, openAiError("We could not parse the JSON body of your request.", "invalid_request_error", null), headers);
    }
    const body = chatRequestSchema.safeParse(parsed.value);
    if (!body.success) {
      const issue = body.error.issues[0];
      return sendJson(res, 400, openAiError(z.prettifyError(body.error), "invalid_request_error", null, issue?.path.join(".") ?? null), headers);
    }
    if (body.data.stream) {
      return sendJson(res, 400, openAiError("The sandbox fake does not stream; send stream: false.", "invalid_request_error", null, "stream"), headers);
    }
    this.requests.push({ at: Date.now(), body: body.data });
    const users = body.data.messages.filter((message) => message.role === "user").map((message) => textOf(message.content));
    const system = body.data.messages.filter((message) => message.role === "system" || message.role === "developer").map((message) => textOf(message.content)).join("\n");
    let content: string;
    if (isAuditRequest(system)) {
      this.counter.add("audit");
      const verdict = this.auditor.judge(users[0] ?? "");
      content = JSON.stringify(verdict);
      const pr = /# Audit of pull request #(\d+)/.exec(users[0] ?? "")?.[1] ?? "?";
      this.transcript.record("audit", `fake OpenAI audited #${pr}: ${verdict.verdict}${verdict.findings.length ? ` (${verdict.findings.map((finding) => finding.message).join("; ")})` : ""}`);
    } else {
      const prompt = users.find((text) => text.includes("## Description")) ?? users[users.length - 1] ?? "";
      const tasks = planTasks(readPlanningPrompt(prompt));
      content = JSON.stringify({ tasks });
      this.transcript.record("plan", `fake OpenAI planned ${tasks.length} task(s): ${tasks.map((task) => `${task.id} ${task.title}`).join("; ")}`);
    }
    const promptTokens = Math.ceil(body.data.messages.map((message) => textOf(message.content)).join(" ").length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-${randomBytes(12).toString("base64url")}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.data.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        service_tier: "default",
        system_fingerprint: "fp_sandbox",
      },
      headers,
    );
  }
}
