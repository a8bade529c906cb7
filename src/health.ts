import type { IncomingMessage, ServerResponse } from "node:http";
import type { Orchestra } from "./orchestra.js";

/** `GET /health`: for load balancers and the sandbox's start-up wait. */
export function healthHandler(orchestra: Orchestra) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/health") return false;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", epicsQueued: orchestra.scheduler.size, cursor: orchestra.cursor !== null }));
    return true;
  };
}
