/**
 * SANDBOX FAKE — never part of src/. Runs a GraphQL request against the subset schema with
 * graphql-js and answers like GitHub: HTTP 200 with `{ data, errors }`, each error carrying
 * GitHub's `type` (e.g. NOT_FOUND) next to its message, locations and path.
 */
import { buildSchema, graphql, Kind, parse } from "graphql";
import type { GraphQLError, GraphQLSchema } from "graphql";
import { GITHUB_GRAPHQL_SUBSET } from "./schema.js";
import { rootValue } from "./resolvers.js";
import type { GraphqlContext } from "./resolvers.js";

let schema: GraphQLSchema | undefined;

export function subsetSchema(): GraphQLSchema {
  schema ??= buildSchema(GITHUB_GRAPHQL_SUBSET);
  return schema;
}

export interface GraphqlRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

function formatError(error: GraphQLError): Record<string, unknown> {
  const formatted: Record<string, unknown> = { message: error.message };
  const type = error.extensions?.type;
  if (typeof type === "string") formatted.type = type;
  if (error.path) formatted.path = error.path;
  if (error.locations) formatted.locations = error.locations;
  if (!type && !error.path) formatted.extensions = { code: "graphqlParseOrValidationFailed" };
  return formatted;
}

/** The top-level fields of the mutation a request runs (addComment, updateIssue, …), one per use; none for a query or an unparsable document. */
export function mutationFields(body: GraphqlRequestBody): string[] {
  if (typeof body.query !== "string") return [];
  try {
    const operations = parse(body.query).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const chosen = typeof body.operationName === "string" ? operations.find((operation) => operation.name?.value === body.operationName) : operations[0];
    if (!chosen || chosen.operation !== "mutation") return [];
    return chosen.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
  } catch {
    return [];
  }
}

export async function executeGraphql(body: GraphqlRequestBody, context: GraphqlContext): Promise<Record<string, unknown>> {
  if (typeof body.query !== "string" || !body.query.trim()) {
    return { errors: [{ message: "A query attribute must be specified and must be a string." }] };
  }
  if (body.variables != null && (typeof body.variables !== "object" || Array.isArray(body.variables))) {
    return { errors: [{ message: "Variables are invalid JSON." }] };
  }
  const result = await graphql({
    schema: subsetSchema(),
    source: body.query,
    rootValue: rootValue(context),
    variableValues: (body.variables as Record<string, unknown> | null | undefined) ?? {},
    operationName: typeof body.operationName === "string" ? body.operationName : null,
  });
  const answer: Record<string, unknown> = {};
  if (result.errors && result.errors.length > 0) {
    if (result.data !== undefined) answer.data = result.data;
    answer.errors = result.errors.map(formatError);
  } else {
    answer.data = result.data;
  }
  return answer;
}
