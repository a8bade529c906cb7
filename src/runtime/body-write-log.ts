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
  /** The overwritten edit to write back, with every write of Orchestra's since (resolved now). */
  overwritten(): OverwrittenEdit | undefined;
  /** The overwritten edit was written back (or cannot be): forget it. */
  settled(): void;
}

const WRITES_KEPT = 8;

interface EpicLog {
  writes: Array<BodyWrite & { seq: number }>;
  /** The person's body, and the first of Orchestra's writes that overwrote it. */
  overwritten?: { from: string; seq: number };
}

export class BodyWriteLog {
  private seq = 0;
  // A write's webhook comes within seconds; an hour covers any redelivery worth acting on.
  // Bounded by bytes: bodies are up to 65,536 characters each.
  private readonly epics = new LRUCache<string, EpicLog>({
    max: 2_000,
    maxSize: 32 * 1024 * 1024,
    sizeCalculation: (log) => Math.max(1, log.writes.reduce((sum, write) => sum + write.base.length + write.written.length, 0)),
    ttl: 60 * 60_000,
  });

  record(epic: string, write: BodyWrite): void {
    const log = this.epics.get(epic) ?? { writes: [] };
    log.writes = [...log.writes, { ...write, seq: ++this.seq }].slice(-WRITES_KEPT);
    this.epics.set(epic, log);
  }

  /**
   * GitHub's webhook of one of Orchestra's own body edits: true when the body before it was not
   * the one the write started from, i.e. someone's edit was overwritten and must be written back.
   */
  echoed(epic: string, from: string, to: string): boolean {
    const log = this.epics.get(epic);
    // A title edit also comes as `issues.edited`; only a change of the body says what it overwrote.
    if (!log || from === to) return false;
    const write = [...log.writes].reverse().find((candidate) => candidate.written === to);
    if (!write || write.base === from) return false;
    log.overwritten ??= { from, seq: write.seq };
    return true;
  }

  forEpic(epic: string): EpicBodyLog {
    return {
      record: (write) => this.record(epic, write),
      overwritten: () => {
        const log = this.epics.get(epic);
        const pending = log?.overwritten;
        const since = log?.writes.filter((write) => write.seq >= (pending?.seq ?? Infinity)) ?? [];
        if (!pending || since.length === 0) return undefined;
        return { from: pending.from, written: since.at(-1)!.written, patches: since.flatMap((write) => write.patches) };
      },
      settled: () => {
        const log = this.epics.get(epic);
        if (log) delete log.overwritten;
      },
    };
  }
}
