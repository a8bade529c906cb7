import type { Logger } from "pino";
import type { CursorStatusChange } from "../cursor/webhook.js";
import { parseBranchName } from "../orchestration/naming.js";
import type { EpicRef } from "../orchestration/reconcile.js";
import type { Orchestra } from "../orchestra.js";
import { TtlCache } from "../ttl-cache.js";

const installations = new TtlCache<string, number | null>(10 * 60_000);

/**
 * A Cursor status change is a hint: forget what we knew of the agent and reconcile its epic,
 * which reads the agent again. Unknown agents (not on an Orchestra branch of an installed
 * repository) are ignored.
 */
export function cursorStatusHandler(orchestra: Orchestra, log: Logger) {
  return async (payload: CursorStatusChange): Promise<void> => {
    orchestra.agents.forget(payload.id);
    const ref = orchestra.agentEpics.get(payload.id) ?? (await refFromPayload(orchestra, payload));
    if (!ref) {
      log.info({ agent: payload.id, status: payload.status }, "Cursor webhook for an agent Orchestra does not know; ignored");
      return;
    }
    log.info({ agent: payload.id, status: payload.status, epic: `${ref.owner}/${ref.repo}#${ref.issueNumber}` }, "Cursor status change");
    orchestra.schedule(ref);
  };
}

/** After a restart the agent map is empty: the branch names the epic, the repository its installation. */
async function refFromPayload(orchestra: Orchestra, payload: CursorStatusChange): Promise<EpicRef | null> {
  const branch = payload.target?.branchName ? parseBranchName(payload.target.branchName) : null;
  const repository = payload.source?.repository?.replace(/\.git$/, "").split("/").filter(Boolean);
  if (!branch || !repository || repository.length < 2) return null;
  const [owner, repo] = repository.slice(-2) as [string, string];
  const key = `${owner}/${repo}`.toLowerCase();
  let installationId = installations.get(key);
  if (installationId === undefined) {
    try {
      const appOctokit = await orchestra.app.auth();
      const { data } = await appOctokit.rest.apps.getRepoInstallation({ owner, repo });
      installationId = data.id;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      installationId = null;
    }
    installations.set(key, installationId);
  }
  return typeof installationId === "number" ? { installationId, owner, repo, issueNumber: branch.issueNumber } : null;
}
