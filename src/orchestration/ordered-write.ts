import type { ReconcileDeps } from "./reconcile-deps.js";
import type { WritePriority } from "../runtime/epic-write-queue.js";

/** A write through the epic's write queue when there is one (the most important first), else at once. */
export function ordered<T>(deps: Pick<ReconcileDeps, "writes">, priority: WritePriority, write: () => Promise<T>): Promise<T> {
  return deps.writes ? deps.writes.run(priority, write) : write();
}
