import { parseBody } from "../../src/orchestration/checklist.js";
import { readAttributes } from "../../src/orchestration/checklist-format.js";
import { contentDigest } from "../../src/orchestration/trust/content-digest.js";
import { createStateSigner, deriveStateKeys, MAC_ATTRIBUTE, type StateSigner } from "../../src/orchestration/trust/state-mac.js";

/** The secret the test app signs state with (ORCHESTRA_STATE_SECRET), and the issue the tests use. */
export const TEST_STATE_SECRET = "test-state-secret";
export const ISSUE_NODE_ID = "I_kwDOABCD1M4AAAAB";

export function testSigner(binding = ISSUE_NODE_ID, secret = TEST_STATE_SECRET): StateSigner {
  return createStateSigner(deriveStateKeys([secret]), binding);
}

export interface SignOptions {
  signer?: StateSigner;
  /** The issue's title: the plan marker records the digest of the text it accepted (unless given). */
  title?: string;
  /** GitHub's counts of body edits and title renames when Orchestra wrote it, `e.r`. */
  seen?: string;
  /**
   * A person's edit of this earlier body: the plan marker keeps the record of the text Orchestra
   * accepted before (a person who edits the text does not change what Orchestra accepted).
   */
  editOf?: string;
}

/**
 * Adds Orchestra's MAC to every plan and task marker of a hand-written body, exactly as they are
 * (attributes and order kept), as if Orchestra had written it for this issue and accepted its
 * text. Bodies the tests write stand for bodies Orchestra wrote; bodies left unsigned stand for
 * what anyone else typed.
 */
export function signBody(body: string, options: SignOptions = {}): string {
  const signer = options.signer ?? testSigner();
  const parsed = parseBody(body);
  const digest = parsed.ok ? contentDigest(options.title ?? "Epic", parsed.parsed) : undefined;
  const previous = options.editOf === undefined ? undefined : /<!-- orchestra:plan (?=[^\n]*-->)([^\n]*?)-->/.exec(options.editOf)?.[1];
  const kept = previous === undefined ? undefined : readAttributes(previous).attributes;
  return body.replace(/<!-- orchestra:(plan|task)(?=\s)([^\n]*?)-->/g, (_whole, kind: "plan" | "task", inside: string) => {
    const { attributes, bare } = readAttributes(inside);
    attributes.delete(MAC_ATTRIBUTE);
    if (kind === "plan" && kept) {
      for (const name of ["text", "seen"]) {
        const value = kept.get(name);
        if (value !== undefined) attributes.set(name, value);
      }
    } else if (kind === "plan" && digest !== undefined && !attributes.has("text")) {
      attributes.set("text", digest);
      if (!attributes.has("seen")) attributes.set("seen", options.seen ?? "0.0");
    }
    const mac = signer.mac(kind, attributes);
    const parts = [...bare, ...[...attributes].map(([key, value]) => `${key}=${value}`), `${MAC_ATTRIBUTE}=${mac}`];
    return `<!-- orchestra:${kind} ${parts.join(" ")} -->`;
  });
}

/**
 * A body without the attributes that authenticate it (`mac`, `text`, `seen`), for assertions about
 * what Orchestra wrote: those values are covered by the tests of signing.
 */
export function withoutMacs(body: string): string {
  return body.replace(/<!-- orchestra:(?:plan|task) [^\n]*?-->/g, (marker) => marker.replace(/ (?:mac|text|seen|cmd|live)=\S+/g, ""));
}
