import { z } from "zod";

/** A Cursor background agent as Orchestra sees it: only the fields it reads. */
export interface CursorAgent {
  id: string;
  /** CREATING, RUNNING, FINISHED, ERROR, EXPIRED, or a status Cursor adds later. */
  status: string;
  name?: string;
  source: { repository: string; ref?: string };
  target: { branchName?: string; url?: string; prUrl?: string; autoCreatePr?: boolean };
  summary?: string;
  createdAt?: string;
}

export const LIVE_STATUSES = ["CREATING", "RUNNING"] as const;
export const TERMINAL_STATUSES = ["FINISHED", "ERROR", "EXPIRED"] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Anything not known to be over counts as live, unknown statuses included: launching a second
 * agent over one we do not understand is worse than waiting for the next poll.
 */
export function isLive(status: string): boolean {
  return !isTerminal(status);
}

// Cursor may send null for absent fields and may add fields at any time: accept both.
const optionalString = z.string().nullish();

const agentWireSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  name: optionalString,
  source: z
    .looseObject({ repository: optionalString, ref: optionalString })
    .nullish(),
  target: z
    .looseObject({
      branchName: optionalString,
      url: optionalString,
      prUrl: optionalString,
      autoCreatePr: z.boolean().nullish(),
    })
    .nullish(),
  summary: optionalString,
  createdAt: optionalString,
});

export const agentListWireSchema = z.looseObject({
  agents: z.array(agentWireSchema),
  nextCursor: optionalString,
});

export { agentWireSchema };
export type AgentWire = z.output<typeof agentWireSchema>;

/** Drops nulls and unknown fields so callers get the plain `CursorAgent` shape. */
export function toCursorAgent(wire: AgentWire): CursorAgent {
  const agent: CursorAgent = {
    id: wire.id,
    status: wire.status,
    source: { repository: wire.source?.repository ?? "" },
    target: {},
  };
  if (wire.name != null) agent.name = wire.name;
  if (wire.source?.ref != null) agent.source.ref = wire.source.ref;
  const target = wire.target;
  if (target?.branchName != null) agent.target.branchName = target.branchName;
  if (target?.url != null) agent.target.url = target.url;
  if (target?.prUrl != null) agent.target.prUrl = target.prUrl;
  if (target?.autoCreatePr != null) agent.target.autoCreatePr = target.autoCreatePr;
  if (wire.summary != null) agent.summary = wire.summary;
  if (wire.createdAt != null) agent.createdAt = wire.createdAt;
  return agent;
}

/**
 * `https://github.com/O/R.git`, `github.com/o/r/` and `https://github.com/o/r` name the same
 * repository; Cursor does not promise to echo the form it was given.
 */
export function normalizeRepository(repository: string): string {
  return repository
    .trim()
    .toLowerCase()
    .replace(/^[a-z+]+:\/\//, "")
    .replace(/^www\./, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "");
}
