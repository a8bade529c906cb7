/** SANDBOX FAKE — never part of src/. Webhook signatures as GitHub and Cursor compute them. */
import { createHmac } from "node:crypto";

/** `sha256=<hex>` of the exact bytes sent: the format of both X-Hub-Signature-256 and X-Webhook-Signature. */
export function signSha256(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** GitHub's legacy `X-Hub-Signature` header, still sent alongside the SHA-256 one. */
export function signSha1(secret: string, body: string | Buffer): string {
  return `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;
}
