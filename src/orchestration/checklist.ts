/**
 * The epic's state in the issue body (DESIGN.md, "State in the issue body"): the user's text,
 * kept byte for byte, around one block Orchestra owns:
 *
 *     <!-- orchestra:plan v1 status=running runs=3 comment=1234 -->
 *     ### Tasks
 *     - [x] Add the user model <!-- orchestra:task id=t1 state=merged attempt=1 pr=12 -->
 *     - [ ] Add the login endpoint <!-- orchestra:task id=t2 state=running attempt=1 agent=bc-1f2e deps=t1 -->
 *       Details given to the agent go on indented lines under the item.
 *     <!-- orchestra:plan:end -->
 *
 * - `checklist-format.ts`: markers, attribute encoding, canonical rendering
 * - `checklist-parse.ts`:  body -> ParsedBody, reading people's edits of the checklist
 * - `checklist-patch.ts`:  Orchestra's own changes onto a freshly re-read body, within the size limit
 * - `checklist-find.ts`:   a checklist a person wrote, to adopt as the plan
 */
export { PLAN_END, PLAN_START, renderBody, renderPlan } from "./checklist-format.js";
export { parseBody, type ParseResult } from "./checklist-parse.js";
export { MAX_BODY_LENGTH, applyPatch, type ApplyOptions, type ApplyResult, type WriteTrust } from "./checklist-patch.js";
export { findChecklist, type FoundChecklist } from "./checklist-find.js";
