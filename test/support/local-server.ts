// Starts the real server (real addon, built-in model) on an ephemeral loopback port for a test file.
import { createServer, defaultModelDir, type ServerOptions } from "@anneal/backend";

export interface LocalServer {
  /** API root, e.g. http://127.0.0.1:41234/v1 */
  baseURL: string;
  origin: string;
  close(): Promise<void>;
  server: ReturnType<typeof createServer>;
}

export async function startLocalServer(options: Partial<ServerOptions> = {}): Promise<LocalServer> {
  const dir = defaultModelDir();
  if (!dir) throw new Error("the built-in model is missing (packages/backend/models)");
  const server = createServer({ models: [{ dir }], threads: 2, ...options });
  const origin = await server.listen(0, "127.0.0.1");
  await server.ready;
  return { baseURL: `${origin}/v1`, origin, server, close: () => server.close() };
}
