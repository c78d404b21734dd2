// Body defaults shared by every streaming endpoint.
import type { StreamOptions } from "../schema/common";

/** Servers send usage in a stream only when asked; we ask unless the caller said otherwise. */
export function withUsageByDefault<T extends { stream_options?: StreamOptions | null }>(params: T): T {
  return params.stream_options === undefined ? { ...params, stream_options: { include_usage: true } } : params;
}
