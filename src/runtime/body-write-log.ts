import { LRUCache } from "lru-cache";
import type { WriteTrust } from "../orchestration/checklist.js";
import type { PlanPatch } from "../orchestration/types.js";

/**
 * Orchestra's recent writes of each epic's body, so that an edit a person saved just before one
 * of them is not lost. GitHub cannot make a body write conditional: a write starts from the body
 * as Orchestra last knew it, and a person's edit whose webhook had not arrived yet is
 * overwritten. The webhook of Orchestra's own write tells it (`changes.body.from` is not what the
 * write started from); the overwritten text is then written back with Orchestra's changes
 * applied to it again (see restoreOverwrittenEdit). In one process: with Redis every write reads
 * the body first.
 */

export interface BodyWrite {
  /** The body the write started from, and the body it wrote. */
  base: string;
  written: string;
  /** Orchestra's changes, to apply again to a body someone else saved meanwhile. */
  patches: Array<{ patch: PlanPatch; accept: Pick<WriteTrust, "acceptAll" | "believeUnsigned"> }>;
}

/** A person's body that a write overwrote, and Orchestra's changes since, to write back. */
export interface OverwrittenEdit {
  from: string;
  /** What Orchestra last wrote: the restore goes ahead only if the body is still that. */
  written: string;
  patches: BodyWrite["patches"];
}

/** One epic's log, for the reconcile that holds the epic. */
export interface EpicBodyLog {
  record(write: BodyWrite): void;
  takeOverwritten(): OverwrittenEdit | undefined;
}

const WRITES_KEPT = 8;

interface EpicLog {
  writes: BodyWrite[];
  overwritten?: OverwrittenEdit;
}

export class BodyWriteLog {
  // A write's webhook comes within seconds; an hour covers any redelivery worth acting on.
  private readonly epics = new LRUCache<string, EpicLog>({ max: 2_000, ttl: 60 * 60_000 });

  record(epic: string, write: BodyWrite): void {
    const log = this.epics.get(epic) ?? { writes: [] };
    log.writes = [...log.writes, write].slice(-WRITES_KEPT);
    this.epics.set(epic, log);
  }

  /**
   * GitHub's webhook of one of Orchestra's own body edits: true when the body before it was not
   * the one the write started from, i.e. someone's edit was overwritten and must be written back.
   */
  echoed(epic: string, from: string, to: string): boolean {
    const log = this.epics.get(epic);
    // A title edit also comes as `issues.edited`; only a change of the body says what it overwrote.
    if (from === to) return false;
    const index = log?.writes.findIndex((write) => write.written === to) ?? -1;
    if (!log || index < 0) return false;
    const write = log.writes[index]!;
    if (write.base === from) return false;
    log.overwritten = { from, written: log.writes.at(-1)!.written, patches: log.writes.slice(index).flatMap((later) => later.patches) };
    return true;
  }

  forEpic(epic: string): EpicBodyLog {
    return { record: (write) => this.record(epic, write), takeOverwritten: () => this.takeOverwritten(epic) };
  }

  /** The overwritten edit to write back, once. */
  takeOverwritten(epic: string): OverwrittenEdit | undefined {
    const log = this.epics.get(epic);
    const overwritten = log?.overwritten;
    if (log) delete log.overwritten;
    return overwritten;
  }
}
