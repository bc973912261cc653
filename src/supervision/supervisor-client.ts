import http from "node:http";
import { SupervisorFault } from "./supervisor-fault.js";
import { decodeResponse, encodeCall, type XmlRpcValue } from "./xml-rpc-codec.js";

/** How long a call may take unless told otherwise; supervisord answers most calls at once. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** A supervisord's XML-RPC interface, reached over its unix socket (POST /RPC2). */
export class SupervisorClient {
  constructor(readonly socketPath: string) {}

  /**
   * Calls `method` (e.g. "supervisor.getState") with `params`; resolves with its value, rejects
   * with SupervisorFault when supervisord refuses, or with the socket's error when it is not
   * reached (ENOENT, ECONNREFUSED: nothing listens).
   */
  call(
    method: string,
    params: readonly XmlRpcValue[] = [],
    { timeoutMs = DEFAULT_TIMEOUT_MS }: { timeoutMs?: number } = {},
  ): Promise<XmlRpcValue> {
    const body = Buffer.from(encodeCall(method, params), "utf8");
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          socketPath: this.socketPath,
          path: "/RPC2",
          method: "POST",
          agent: false,
          headers: { "content-type": "text/xml", "content-length": body.length },
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (response.statusCode !== 200) {
              reject(new Error(`supervisord answered ${method} with HTTP ${response.statusCode}`));
              return;
            }
            try {
              const answer = decodeResponse(text);
              if (answer.ok) resolve(answer.value);
              else reject(new SupervisorFault(method, answer.faultCode, answer.faultString));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on("timeout", () =>
        request.destroy(new Error(`supervisord did not answer ${method} within ${timeoutMs} ms`)),
      );
      request.on("error", reject);
      request.end(body);
    });
  }
}
