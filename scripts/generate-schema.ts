import { writeFileSync } from "node:fs";
import { configSchemaJson } from "../src/orchestration/config-schema.js";

/** `npm run schema`: writes the JSON Schema of .github/orchestra.yml for editor completion. */
writeFileSync(new URL("../schema/orchestra.schema.json", import.meta.url), `${JSON.stringify(configSchemaJson(), null, 2)}\n`);
console.log("wrote schema/orchestra.schema.json");
