/**
 * SANDBOX FAKE — never part of src/. GitHub App authentication as the fake sees it: the app
 * signs a JWT with its private key (checked against the public key when one is given) and
 * trades it for installation tokens; every other request carries such a token.
 */
import { createPublicKey, randomBytes, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ApiError } from "./errors.js";

export type Caller =
  | { kind: "app" }
  | { kind: "installation"; installationId: number; token: string }
  | { kind: "anonymous" };

interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

function decodeSegment(segment: string | undefined): Record<string, unknown> | null {
  if (!segment) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export class AppAuth {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly publicKey: KeyObject | undefined;

  constructor(
    private readonly appId: number,
    publicKey?: string | KeyObject,
  ) {
    this.publicKey = publicKey === undefined ? undefined : typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  }

  /** Who is calling, from the Authorization header's token; throws GitHub's 401 for bad credentials. */
  identify(token: string | undefined): Caller {
    if (!token) return { kind: "anonymous" };
    const issued = this.tokens.get(token);
    if (issued) {
      if (issued.expiresAt < Date.now()) throw new ApiError(401, "Bad credentials");
      return { kind: "installation", installationId: issued.installationId, token };
    }
    if (token.split(".").length === 3) {
      this.verifyJwt(token);
      return { kind: "app" };
    }
    throw new ApiError(401, "Bad credentials");
  }

  private verifyJwt(jwt: string): void {
    const [header, payload, signature] = jwt.split(".") as [string, string, string];
    const head = decodeSegment(header);
    const claims = decodeSegment(payload);
    if (!head || !claims || head.alg !== "RS256") throw new ApiError(401, "A JSON web token could not be decoded");
    if (this.publicKey) {
      const valid = verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, "base64url"));
      if (!valid) throw new ApiError(401, "A JSON web token could not be decoded");
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== "number") {
      throw new ApiError(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.");
    }
    if (typeof claims.exp !== "number" || claims.exp < now) {
      throw new ApiError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.");
    }
    if (claims.exp - claims.iat > 600) throw new ApiError(401, "'Expiration time' claim ('exp') is too far in the future");
    if (String(claims.iss) !== String(this.appId)) throw new ApiError(401, "'Issuer' claim ('iss') must be an Integer");
  }

  issueToken(installationId: number): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x")}`;
    const expiresAt = Date.now() + TOKEN_LIFETIME_MS;
    this.tokens.set(token, { installationId, expiresAt });
    return { token, expiresAt: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }
}
