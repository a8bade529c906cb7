import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Orchestra's state in the issue body is authenticated: the machine fields of the plan marker and
 * of each task marker carry `mac=…`, an HMAC-SHA256 that only a holder of the state secret can
 * compute. The MAC binds the fields to one issue (its node id), so a marker copied from another
 * epic, or typed by someone who can edit the issue, never verifies.
 *
 * Keys: the first signs; all of them verify, which is how a secret is rotated (docs/security.md).
 */

export type MarkerKind = "plan" | "task" | "child";

/**
 * The attributes a MAC covers, in payload order. `deps` is left out on purpose: it only orders
 * work, and maintainers edit it by hand. Every other field decides what runs, is stopped, edited
 * or merged.
 */
export const SIGNED_ATTRIBUTES: Readonly<Record<MarkerKind, readonly string[]>> = {
  plan: [
    "status", "runs", "comment", "next", "text", "seen", "held",
    // Added later: in the payload only when present, so markers signed before still verify.
    "cmd", "live", "tokens",
  ],
  task: [
    "id", "state", "attempt", "agent", "pr", "fixes", "followup", "asked", "reason", "after", "started", "finished", "launched",
    // Added later: in the payload only when present, so markers signed before still verify.
    "refused", "refusals", "refusedat", "stuck", "stuckat",
    // The sub-issue a task is: which issue's text becomes an agent's instructions.
    "issue", "accepted",
  ],
  // The marker in a sub-issue Orchestra created: which epic's task it is (plan.as: sub-issues).
  child: ["epic", "task"],
};

/** How many attributes of each kind the first signed format had: each is in every payload, present or not. */
const FIRST_FORMAT: Readonly<Record<MarkerKind, number>> = { plan: 7, task: 13, child: 2 };

/** The attribute that carries the MAC. */
export const MAC_ATTRIBUTE = "mac";

/** 128 bits, base64url: short enough for a hidden marker, far beyond guessing. */
const MAC_LENGTH = 22;

export interface StateSigner {
  /** The MAC of a marker's attributes (raw, as written in the body). */
  mac(kind: MarkerKind, attributes: ReadonlyMap<string, string>): string;
  verify(kind: MarkerKind, attributes: ReadonlyMap<string, string>): boolean;
}

/** Keys derived from secrets (HKDF), so the raw secret is never the MAC key. */
export function deriveStateKeys(secrets: readonly string[]): Buffer[] {
  return secrets
    .filter((secret) => secret !== "")
    .map((secret) => Buffer.from(hkdfSync("sha256", secret, "orchestra", "orchestra issue-body state v1", 32)));
}

/** A signer for the state of one issue, identified by its GraphQL node id. */
export function createStateSigner(keys: readonly Buffer[], binding: string): StateSigner {
  if (keys.length === 0) throw new Error("no key to sign Orchestra's state with");
  const compute = (key: Buffer, kind: MarkerKind, attributes: ReadonlyMap<string, string>) =>
    createHmac("sha256", key).update(payload(kind, binding, attributes)).digest("base64url").slice(0, MAC_LENGTH);
  return {
    mac: (kind, attributes) => compute(keys[0]!, kind, attributes),
    verify: (kind, attributes) => {
      const given = Buffer.from(attributes.get(MAC_ATTRIBUTE) ?? "");
      if (given.length !== MAC_LENGTH) return false;
      return keys.some((key) => timingSafeEqual(Buffer.from(compute(key, kind, attributes)), given));
    },
  };
}

function payload(kind: MarkerKind, binding: string, attributes: ReadonlyMap<string, string>): string {
  const fields = SIGNED_ATTRIBUTES[kind]
    .filter((name, i) => i < FIRST_FORMAT[kind] || attributes.has(name))
    .map((name) => `${name}=${attributes.get(name) ?? ""}`);
  return [`orchestra:${kind}`, binding, ...fields].join("\n");
}
