// A terminal that changes width re-wraps what is on screen (many terminals reflow their lines), so
// the rows ink counts for its live area no longer match and a stale copy of the draft stays behind.
// After a width change settles, the screen is cleared and the whole conversation drawn again.
import { useEffect, useState } from "react";

/** Erase the screen and its scrollback, cursor home: what was drawn at the old width is gone. */
const CLEAR_TERMINAL = "\u001b[2J\u001b[3J\u001b[H";

/** A key that changes after every settled width change; give it to <Static> so it prints everything again. */
export function useRedrawOnResize(stdout: NodeJS.WriteStream, settleMs = 150): number {
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let width = stdout.columns;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onResize = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (stdout.columns === width) return; // height alone: ink redraws that correctly
        width = stdout.columns;
        stdout.write(CLEAR_TERMINAL);
        setGeneration((g) => g + 1);
      }, settleMs);
    };
    stdout.on("resize", onResize);
    return () => {
      clearTimeout(timer);
      stdout.off("resize", onResize);
    };
  }, [stdout, settleMs]);
  return generation;
}
