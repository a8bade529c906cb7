import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), driven by
 * playwright-core. No browser is ever downloaded: without one the browser tests say why and
 * skip locally, and fail under CI, where a missing browser is a broken setup.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<{ browser?: Browser; unavailable?: string }> {
  if (!existsSync(CHROMIUM_PATH)) {
    return { unavailable: `no Chromium at ${CHROMIUM_PATH}: run "apt-get install chromium" (what .ci/run does) or set CHROMIUM_PATH` };
  }
  try {
    return { browser: await chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 20_000 }) };
  } catch (error) {
    return { unavailable: `Chromium at ${CHROMIUM_PATH} did not start: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** Skips the test with the reason locally; fails it under CI. */
export function requireBrowser(
  launched: { browser?: Browser; unavailable?: string },
  skip: (note?: string) => never,
): Browser {
  if (launched.browser) return launched.browser;
  const reason = launched.unavailable ?? "Chromium was not launched";
  if (process.env.CI) throw new Error(`the browser tests need Chromium under CI: ${reason}`);
  console.warn(`skipping the browser test: ${reason}`);
  return skip(reason);
}
