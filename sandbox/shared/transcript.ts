/**
 * SANDBOX FAKE — never part of src/. What happened in the sandbox, in one stream of short
 * lines: the runner prints it and tests can read it back.
 */
import { EventEmitter } from "node:events";

export type TranscriptKind =
  | "webhook"
  | "comment"
  | "issue"
  | "label"
  | "agent"
  | "pull"
  | "merge"
  | "check"
  | "review"
  | "plan"
  | "audit"
  | "branch"
  | "notify"
  | "info";

export interface TranscriptEvent {
  /** Milliseconds since the Unix epoch. */
  at: number;
  kind: TranscriptKind;
  text: string;
}

export class Transcript extends EventEmitter<{ event: [TranscriptEvent] }> {
  readonly events: TranscriptEvent[] = [];

  record(kind: TranscriptKind, text: string): void {
    const event = { at: Date.now(), kind, text };
    this.events.push(event);
    this.emit("event", event);
  }
}
