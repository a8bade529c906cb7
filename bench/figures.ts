/**
 * The benchmark's figures, computed from what the fakes recorded: pure functions, so that each
 * figure's definition is read (and tested) in one place.
 */

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Counts that grew between two readings of a counter. */
export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, count] of Object.entries(after)) {
    const delta = count - (before[key] ?? 0);
    if (delta > 0) result[key] = delta;
  }
  return result;
}

export function perTask(counts: Record<string, number>, tasks: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([key, count]) => [key, round(count / tasks)]),
  );
}

/**
 * The fake GitHub counts each GraphQL request twice: as `POST /graphql` and as `graphql <operation>`.
 * Requests are the REST routes and the GraphQL operations; a GraphQL operation is a write when it
 * is a mutation (Orchestra names its mutations `…Mutation`). The fake also counts each mutation
 * field a request ran as `mutation <field>`: not a request, but a comment when it is `addComment`.
 */
export function classifyGitHub(counts: Record<string, number>): {
  rest: Record<string, number>;
  graphql: Record<string, number>;
  requests: number;
  writes: number;
  comments: number;
} {
  const rest: Record<string, number> = {};
  const graphql: Record<string, number> = {};
  for (const [key, count] of Object.entries(counts)) {
    // `mutation <field>`: what a GraphQL request's mutations did, not requests of their own.
    if (key.endsWith(" /graphql") || key.startsWith("mutation ")) continue;
    if (key.startsWith("graphql ")) graphql[key] = count;
    else rest[key] = count;
  }
  const sum = (entries: Array<[string, number]>) => entries.reduce((total, [, count]) => total + count, 0);
  const restWrites = Object.entries(rest).filter(([key]) => !/^(GET|HEAD) /.test(key));
  const mutations = Object.entries(graphql).filter(([key]) => /Mutation$/.test(key));
  return {
    rest,
    graphql,
    requests: sum(Object.entries(rest)) + sum(Object.entries(graphql)),
    writes: sum(restWrites) + sum(mutations),
    comments: (rest["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"] ?? 0) + (counts["mutation addComment"] ?? 0),
  };
}

export interface Interval {
  from: number;
  to: number;
}

/** The total length of a set of intervals, overlaps counted once. */
export function unionLength(intervals: Interval[]): number {
  const sorted = intervals.filter((i) => i.to > i.from).sort((a, b) => a.from - b.from);
  let total = 0;
  let end = -Infinity;
  for (const { from, to } of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

/**
 * Orchestra's own time for one epic: from the `/orchestra start` comment to the issue closing,
 * minus the time some agent was working or some CI was running (agent launch to the last green
 * check of the head that was merged), per task.
 */
export function ownTimePerTask(startedAt: number, closedAt: number, external: Interval[], tasks: number): number {
  const window = external.map(({ from, to }) => ({ from: Math.max(from, startedAt), to: Math.min(to, closedAt) }));
  return (closedAt - startedAt - unionLength(window)) / tasks;
}
