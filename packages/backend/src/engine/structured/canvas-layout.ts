// A schema's layout as canvas positions: fixed tokens where the text is known, slots where values go,
// and the gates of optional array elements.
import type { NumberRange } from "./number-rules";
import { type Piece, UnsupportedSchemaError } from "./schema-layout";
import type { TokenCodec } from "./token-texts";

export type Slot =
  | { kind: "string"; positions: number[]; minChars: number; maxChars: number | undefined }
  | { kind: "number"; positions: number[]; range: NumberRange }
  | { kind: "choice"; positions: number[]; options: number[][] };

/** An optional array element: present when `token` is written at `position`; [position, end) is the element. */
export interface Gate {
  position: number;
  token: number;
  end: number;
  /** The previous optional element of the same array, which must be present for this one to be. */
  holder: Gate | undefined;
}

export interface CanvasLayout {
  /** Per answer position: its fixed token, or −1 where the model writes. */
  fixed: Int32Array;
  slots: Slot[];
  gates: Gate[];
}

export function canvasLayout(pieces: Piece[], codec: TokenCodec): CanvasLayout {
  const fixed: number[] = [];
  const slots: Slot[] = [];
  const gates: Gate[] = [];
  const open = (count: number) => {
    const positions = Array.from({ length: count }, (_, i) => fixed.length + i);
    for (let i = 0; i < count; i++) fixed.push(-1);
    return positions;
  };
  const place = (list: Piece[], holder: Gate | undefined): void => {
    for (const piece of list) {
      switch (piece.kind) {
        case "fixed":
          fixed.push(...codec.encode(piece.text));
          break;
        case "string":
          slots.push({
            kind: "string",
            positions: open(piece.budget),
            minChars: piece.minChars,
            maxChars: piece.maxChars,
          });
          break;
        case "number":
          slots.push({ kind: "number", positions: open(piece.budget), range: piece.range });
          break;
        case "choice": {
          const options = piece.options.map((text) => codec.encode(text));
          slots.push({ kind: "choice", positions: open(Math.max(...options.map((o) => o.length))), options });
          break;
        }
        case "optional": {
          const [token, ...rest] = codec.encode(piece.gate);
          if (token === undefined || rest.length > 0) {
            throw new UnsupportedSchemaError("minItems", "schema", `needs "${piece.gate}" to be one token`);
          }
          const gate: Gate = { position: open(1)[0] as number, token, end: 0, holder };
          gates.push(gate);
          place(piece.pieces, gate);
          // The array's next optional element was laid out inside this one's pieces, so it is held by this gate.
          gate.end = fixed.length;
          break;
        }
      }
    }
  };
  place(pieces, undefined);
  return { fixed: Int32Array.from(fixed), slots, gates };
}
