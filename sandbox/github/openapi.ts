/**
 * SANDBOX FAKE — never part of src/. GitHub's own OpenAPI description (from `@octokit/openapi`)
 * is the judge of every request the fake receives: the route must exist among the operations
 * the fake serves, parameters must fit their schemas, bodies must fit the operation's JSON
 * schema. The 13 MB file is read once, on first use, and schemas compile per operation on
 * demand.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { compileTemplate, matchTemplate } from "../shared/http.js";
import type { CompiledTemplate } from "../shared/http.js";

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

type HttpMethod = "get" | "post" | "put" | "patch" | "delete";
type Schema = Record<string, unknown>;

interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
  "x-multi-segment"?: boolean;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: Array<OpenApiParameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } | { $ref: string };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
  externalDocs?: { url: string };
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>> & { parameters?: OpenApiParameter[] }>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, OpenApiParameter>;
    requestBodies?: Record<string, unknown>;
    responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  };
}

/** `METHOD /template` of every REST operation the fake serves. */
export const SERVED_OPERATIONS = [
  "GET /app",
  "POST /app/installations/{installation_id}/access_tokens",
  "GET /app/installations",
  "GET /installation/repositories",
  "GET /search/issues",
  "GET /repos/{owner}/{repo}",
  "GET /repos/{owner}/{repo}/contents/{path}",
  "GET /repos/{owner}/{repo}/readme",
  "GET /repos/{owner}/{repo}/issues/{issue_number}",
  "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
  "GET /repos/{owner}/{repo}/issues",
  "POST /repos/{owner}/{repo}/issues",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/sub_issue",
  "PATCH /repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking",
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
  "POST /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}",
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "POST /repos/{owner}/{repo}/git/refs",
  "GET /repos/{owner}/{repo}/git/ref/{ref}",
  "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-suites",
  "GET /repos/{owner}/{repo}/commits/{ref}/status",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  "POST /repos/{owner}/{repo}/check-runs",
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
] as const;

export type OperationKey = (typeof SERVED_OPERATIONS)[number];

/**
 * Responses whose documented schema no real answer can satisfy: GET /app/installations
 * declares `account` as allOf [simple-user, enterprise] (an account that is both at once).
 */
const UNSATISFIABLE_RESPONSE_SCHEMAS: ReadonlySet<string> = new Set(["GET /app/installations 200"]);

export interface ValidationIssue {
  resource: string;
  field: string;
  code: "missing_field" | "invalid";
  message: string;
}

export interface ResolvedOperation {
  key: OperationKey;
  operationId: string;
  documentationUrl: string;
  compiled: CompiledTemplate;
  parameters: OpenApiParameter[];
  bodyRequired: boolean;
  bodySchema: Schema | undefined;
}

export type RouteMatch = { operation: ResolvedOperation; params: Record<string, string> };

export type RequestCheck =
  | { ok: true; query: Record<string, unknown>; body: unknown }
  | { ok: false; status: 400 | 404 | 422; issues: ValidationIssue[] };

const require = createRequire(import.meta.url);

/** Converts OpenAPI 3.0 schema dialect (`nullable`, component `$ref`s) to JSON Schema for Ajv. */
export function toJsonSchema(schema: unknown, refs: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, refs));
  if (!schema || typeof schema !== "object") return schema;
  const source = schema as Schema;
  if (typeof source.$ref === "string") {
    const name = source.$ref.replace(/^#\/components\/schemas\//, "");
    refs.add(name);
    return { $ref: `#/definitions/${name}` };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "nullable" || key === "example" || key === "examples" || key === "discriminator" || key.startsWith("x-")) continue;
    if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, sub]) => [name, toJsonSchema(sub, refs)]),
      );
    } else {
      out[key] = toJsonSchema(value, refs);
    }
  }
  if (source.nullable === true) {
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

export class GitHubOpenApi {
  private doc: OpenApiDocument | undefined;
  private operations: ResolvedOperation[] | undefined;
  private readonly ajv: Ajv;
  private readonly bodyValidators = new Map<string, ValidateFunction>();
  private readonly paramValidators = new Map<string, ValidateFunction>();
  private readonly responseValidators = new Map<string, ValidateFunction | null>();

  constructor(private readonly specPath = require.resolve("@octokit/openapi/generated/api.github.com.json")) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes: false });
    addFormats(this.ajv);
  }

  private document(): OpenApiDocument {
    this.doc ??= JSON.parse(readFileSync(this.specPath, "utf8")) as OpenApiDocument;
    return this.doc;
  }

  private resolveParameter(parameter: OpenApiParameter | { $ref: string }): OpenApiParameter {
    if ("$ref" in parameter) {
      const name = parameter.$ref.replace(/^#\/components\/parameters\//, "");
      const found = this.document().components.parameters[name];
      if (!found) throw new Error(`OpenAPI parameter ${parameter.$ref} not found`);
      return found;
    }
    return parameter;
  }

  /** The served operations, resolved from the description the first time a request arrives. */
  resolved(): ResolvedOperation[] {
    if (this.operations) return this.operations;
    const doc = this.document();
    this.operations = SERVED_OPERATIONS.map((key) => {
      const [method, template] = key.split(" ") as [string, string];
      const pathItem = doc.paths[template];
      const operation = pathItem?.[method.toLowerCase() as HttpMethod];
      if (!pathItem || !operation) throw new Error(`GitHub's OpenAPI description has no operation ${key}`);
      const parameters = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map((parameter) =>
        this.resolveParameter(parameter),
      );
      const multi = new Set(parameters.filter((p) => p.in === "path" && p["x-multi-segment"]).map((p) => p.name));
      const body = operation.requestBody && !("$ref" in operation.requestBody) ? operation.requestBody : undefined;
      return {
        key,
        operationId: operation.operationId,
        documentationUrl: operation.externalDocs?.url ?? "https://docs.github.com/rest",
        compiled: compileTemplate(template, multi),
        parameters,
        bodyRequired: body?.required === true,
        bodySchema: body?.content?.["application/json"]?.schema,
      };
    });
    return this.operations;
  }

  /** The operation serving `method path`, or null: GitHub answers such requests 404. */
  match(method: string, path: string): RouteMatch | null {
    for (const operation of this.resolved()) {
      if (!operation.key.startsWith(`${method.toUpperCase()} `)) continue;
      const params = matchTemplate(operation.compiled, path);
      if (params) return { operation, params };
    }
    return null;
  }

  /** Builds a self-contained JSON Schema: the schema plus every component it reaches. */
  private standalone(schema: Schema): Schema {
    const refs = new Set<string>();
    const root = toJsonSchema(schema, refs) as Schema;
    const definitions: Record<string, unknown> = {};
    const pending = [...refs];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (name in definitions) continue;
      const component = this.document().components.schemas[name];
      if (!component) throw new Error(`OpenAPI schema ${name} not found`);
      const found = new Set<string>();
      definitions[name] = toJsonSchema(component, found);
      for (const ref of found) if (!(ref in definitions)) pending.push(ref);
    }
    return { ...root, definitions };
  }

  /**
   * Checks parameters and body as GitHub would: unusable path parameters are a 404 (no such
   * resource), bad query parameters or bodies a 422. Query values are coerced to their types.
   */
  checkRequest(
    match: RouteMatch,
    rawQuery: URLSearchParams,
    rawBody: Buffer,
  ): RequestCheck {
    const { operation } = match;
    const issues: ValidationIssue[] = [];
    const query: Record<string, unknown> = {};
    for (const parameter of operation.parameters) {
      if (parameter.in === "path") {
        const value = match.params[parameter.name];
        const allowEmpty = operation.key === "GET /repos/{owner}/{repo}/contents/{path}" && parameter.name === "path";
        if (value === undefined || (value === "" && !allowEmpty)) {
          return { ok: false, status: 404, issues: [invalid(parameter.name, "missing_field", "missing path parameter")] };
        }
        const coerced = this.checkParameter(operation, parameter, value);
        if (!coerced.ok) return { ok: false, status: 404, issues: [invalid(parameter.name, "invalid", coerced.message)] };
      } else if (parameter.in === "query") {
        const values = rawQuery.getAll(parameter.name);
        if (values.length === 0) {
          if (parameter.required) issues.push(invalid(parameter.name, "missing_field", `${parameter.name} is missing`));
          continue;
        }
        const coerced = this.checkParameter(operation, parameter, values.length === 1 ? values[0]! : values);
        if (coerced.ok) query[parameter.name] = coerced.value;
        else issues.push(invalid(parameter.name, "invalid", coerced.message));
      }
    }

    let body: unknown = undefined;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        return { ok: false, status: 400, issues: [invalid("body", "invalid", "Problems parsing JSON")] };
      }
    }
    if (operation.bodySchema) {
      if (body === undefined && operation.bodyRequired) {
        issues.push(invalid("body", "missing_field", "a request body is required"));
      } else if (body !== undefined) {
        const validate = this.validator(this.bodyValidators, operation.key, operation.bodySchema);
        if (!validate(body)) issues.push(...(validate.errors ?? []).map((error) => fromAjv(operation, error)));
      }
    }
    return issues.length > 0 ? { ok: false, status: 422, issues } : { ok: true, query, body };
  }

  private checkParameter(
    operation: ResolvedOperation,
    parameter: OpenApiParameter,
    raw: string | string[],
  ): { ok: true; value: unknown } | { ok: false; message: string } {
    const schema = parameter.schema ?? {};
    const value = coerce(raw, schema);
    const validate = this.validator(this.paramValidators, `${operation.key}#${parameter.name}`, schema);
    if (validate(value)) return { ok: true, value };
    const detail = (validate.errors ?? []).map((error) => error.message).join(", ");
    return { ok: false, message: `${parameter.name} ${JSON.stringify(raw)} ${detail}` };
  }

  private validator(cache: Map<string, ValidateFunction>, key: string, schema: Schema): ValidateFunction {
    let validate = cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.standalone(schema));
      cache.set(key, validate);
    }
    return validate;
  }

  /**
   * Checks a response body against the schema GitHub documents for that status; returns the
   * problems (empty when it fits or when nothing is documented for the status).
   */
  checkResponse(key: OperationKey, status: number, body: unknown): string[] {
    const cacheKey = `${key} ${status}`;
    if (UNSATISFIABLE_RESPONSE_SCHEMAS.has(cacheKey)) return [];
    let validate = this.responseValidators.get(cacheKey);
    if (validate === undefined) {
      const schema = this.responseSchema(key, status);
      validate = schema ? this.ajv.compile(this.standalone(schema)) : null;
      this.responseValidators.set(cacheKey, validate);
    }
    if (!validate || validate(body)) return [];
    return (validate.errors ?? []).slice(0, 10).map((error) => `${error.instancePath || "/"} ${error.message ?? ""}`.trim());
  }

  private responseSchema(key: OperationKey, status: number): Schema | undefined {
    const [method, template] = key.split(" ") as [string, string];
    const operation = this.document().paths[template]?.[method.toLowerCase() as HttpMethod];
    let response = operation?.responses[String(status)];
    if (response?.$ref) response = this.document().components.responses[response.$ref.split("/").pop()!];
    return response?.content?.["application/json"]?.schema;
  }
}

function invalid(field: string, code: ValidationIssue["code"], message: string): ValidationIssue {
  return { resource: "Request", field, code, message };
}

function fromAjv(operation: ResolvedOperation, error: ErrorObject): ValidationIssue {
  const resource = operation.operationId.split("/")[0] ?? "Request";
  const missing = error.keyword === "required" ? String((error.params as { missingProperty?: string }).missingProperty) : undefined;
  const path = error.instancePath.replace(/^\//, "").replace(/\//g, ".");
  const field = missing ? [path, missing].filter(Boolean).join(".") : path || "body";
  return {
    resource,
    field,
    code: missing ? "missing_field" : "invalid",
    message: `${field} ${error.message ?? "is invalid"}`,
  };
}

/** Query strings are text; GitHub reads `per_page=5` as the integer 5, `true` as a boolean. */
function coerce(raw: string | string[], schema: Schema): unknown {
  if (Array.isArray(raw)) return raw.map((item) => coerce(item, (schema.items as Schema | undefined) ?? {}));
  const type = schema.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}
