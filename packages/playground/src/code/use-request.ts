// One cancellable request at a time for a code panel: its busy flag, its error line, and stop.
import { useRef, useState } from "preact/hooks";
import { errorText } from "../api/error-text";

export interface PanelRequest {
  busy: boolean;
  error: string | undefined;
  /** Runs `work` with an abort signal; a second call while one runs is ignored. */
  run(work: (signal: AbortSignal) => Promise<void>): Promise<void>;
  stop(): void;
}

export function usePanelRequest(): PanelRequest {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);
  return {
    busy,
    error,
    async run(work) {
      if (controller.current) return;
      const current = new AbortController();
      controller.current = current;
      setBusy(true);
      setError(undefined);
      try {
        await work(current.signal);
      } catch (thrown) {
        if (!current.signal.aborted) setError(errorText(thrown));
      } finally {
        controller.current = undefined;
        setBusy(false);
      }
    },
    stop() {
      controller.current?.abort();
    },
  };
}
