/**
 * SANDBOX FAKE — never part of src/. Request bodies of Cursor's v0 background-agent API as the
 * fake accepts them. Strict objects: a misspelt field (`autoCreatePR`) is a 400 here, so the
 * app's mistakes surface in tests instead of being silently ignored.
 */
import { z } from "zod";

const promptSchema = z.strictObject({
  text: z.string().min(1, { error: "prompt.text must not be empty" }),
  images: z
    .array(
      z.strictObject({
        data: z.string().min(1),
        dimension: z.strictObject({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
      }),
    )
    .max(5)
    .optional(),
});

export const launchAgentSchema = z.strictObject({
  prompt: promptSchema,
  model: z.string().min(1).optional(),
  source: z.strictObject({
    repository: z.string().min(1),
    ref: z.string().min(1).optional(),
  }),
  target: z
    .strictObject({
      autoCreatePr: z.boolean().optional(),
      openAsCursorGithubApp: z.boolean().optional(),
      skipReviewerRequest: z.boolean().optional(),
      branchName: z.string().min(1).optional(),
    })
    .optional(),
  webhook: z
    .strictObject({
      url: z.url(),
      // Cursor requires webhook secrets of at least 32 characters.
      secret: z.string().min(32, { error: "webhook.secret must be at least 32 characters" }).optional(),
    })
    .optional(),
});

export const followupSchema = z.strictObject({ prompt: promptSchema });

export type LaunchAgentRequest = z.output<typeof launchAgentSchema>;
