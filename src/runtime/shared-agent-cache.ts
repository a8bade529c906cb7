import { AgentCache } from "../orchestration/agent-cache.js";

/**
 * With several processes, a Cursor webhook reaches one of them, but the epic's next reconcile
 * may run in another that still holds the agent as running. Forgetting an agent is therefore
 * told to the whole fleet; each process forgets its own entry when it hears of it.
 */
export class SharedAgentCache extends AgentCache {
  constructor(private readonly tellFleet: (agentId: string) => void) {
    super();
  }

  override forget(agentId: string): void {
    super.forget(agentId);
    this.tellFleet(agentId);
  }

  /** What another process told: forget here only. */
  forgetHere(agentId: string): void {
    super.forget(agentId);
  }
}
