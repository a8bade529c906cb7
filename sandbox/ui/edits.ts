/**
 * SANDBOX TOOL — never part of src/. How often each issue body and comment was edited, as
 * GitHub shows "edited" on them. The fake keeps no edit history, so this counts the edits the
 * fake GitHub reports in its transcript from the moment the web view starts (it starts with
 * the sandbox, before anyone writes anything).
 */
import type { Transcript, TranscriptEvent } from "../shared/transcript.js";

const BODY_EDIT = /^(\S+) edited the (?:title and )?body of #(\d+)$/;
const COMMENT_EDIT = /^(\S+) edited comment (\d+) on #\d+:/;

export interface EditInfo {
  count: number;
  lastBy: string;
}

export class EditLog {
  private readonly bodies = new Map<number, EditInfo>();
  private readonly comments = new Map<number, EditInfo>();
  private readonly listener = (event: TranscriptEvent) => this.read(event);

  constructor(private readonly transcript: Transcript) {
    for (const event of transcript.events) this.read(event);
    transcript.on("event", this.listener);
  }

  /** Edits of issue `number`'s body (numbers are per repository; the sandbox has one). */
  body(number: number): EditInfo | undefined {
    return this.bodies.get(number);
  }

  comment(id: number): EditInfo | undefined {
    return this.comments.get(id);
  }

  close(): void {
    this.transcript.off("event", this.listener);
  }

  private read(event: TranscriptEvent): void {
    if (event.kind === "issue") {
      const match = BODY_EDIT.exec(event.text);
      if (match) bump(this.bodies, Number(match[2]), match[1]!);
    } else if (event.kind === "comment") {
      const match = COMMENT_EDIT.exec(event.text);
      if (match) bump(this.comments, Number(match[2]), match[1]!);
    }
  }
}

function bump(map: Map<number, EditInfo>, key: number, by: string): void {
  const info = map.get(key) ?? { count: 0, lastBy: by };
  map.set(key, { count: info.count + 1, lastBy: by });
}
