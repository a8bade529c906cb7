import { z } from "zod";
import { configSchema } from "./config.js";

/** The JSON Schema of `.github/orchestra.yml`, as users write it (defaults make fields optional). */
export function configSchemaJson(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input" }),
    title: "Orchestra configuration (.github/orchestra.yml)",
  };
}
