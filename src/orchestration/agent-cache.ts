import type { CursorAgent, CursorClient } from "../cursor/client.js";
import type { AgentView } from "./snapshot.js";
import { isAgentLive } from "./decide.js";

interface Entry {
  view: AgentView | null;
  fetchedAt: number;
}

/**
 * What Cursor last said about each agent. A finished agent stays finished until Orchestra sends
 * it a follow-up (then it is forgotten), so only live agents are polled, and at a bounded rate;
 * a Cursor webhook forgets the entry, which makes the next reconcile read the agent at once.
 */
export class AgentCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 10_000) {}

  remember(agent: CursorAgent, now: number): void {
    this.set(agent.id, toView(agent), now);
  }

  forget(agentId: string): void {
    this.entries.delete(agentId);
  }

  peek(agentId: string): AgentView | null | undefined {
    return this.entries.get(agentId)?.view;
  }

  /** The agent's state, read from Cursor when unknown, live and older than `maxAgeMs`. */
  async read(
    agentId: string,
    cursor: CursorClient,
    now: number,
    options: { maxAgeMs: number },
  ): Promise<AgentView | null> {
    const entry = this.entries.get(agentId);
    const fresh =
      entry && (entry.view === null || !isAgentLive(entry.view.status) || now - entry.fetchedAt < options.maxAgeMs);
    if (entry && fresh) return entry.view;
    const agent = await cursor.getAgent(agentId);
    const view = agent ? toView(agent) : null;
    this.set(agentId, view, now);
    return view;
  }

  private set(agentId: string, view: AgentView | null, now: number): void {
    this.entries.delete(agentId);
    this.entries.set(agentId, { view, fetchedAt: now });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

function toView(agent: CursorAgent): AgentView {
  return {
    id: agent.id,
    status: agent.status.toUpperCase(),
    ...(agent.target.prUrl ? { prUrl: agent.target.prUrl } : {}),
    ...(agent.summary ? { summary: agent.summary } : {}),
  };
}
