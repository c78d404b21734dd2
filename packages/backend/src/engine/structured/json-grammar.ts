// A character-by-character JSON recogniser: feed it text, ask whether the document is complete and how
// many characters at least it still needs. Its state is a few small values, cheap to copy, so a token's
// text can be tried from any point of an answer.

type Mode =
  | "value" // a value must come next
  | "first-key" // just after "{": a key or "}"
  | "key" // after "," in an object: a key
  | "colon"
  | "after-value" // "," or the container's end
  | "string"
  | "escape"
  | "unicode"
  | "number"
  | "literal"
  | "done";

/** Where a number is: what it may take next, and whether it could end here. */
type NumberPart = "sign" | "zero" | "int" | "dot" | "frac" | "e" | "e-sign" | "exp";

const WHITESPACE = new Set([" ", "\n", "\t", "\r"]);

export class JsonRecogniser {
  /** Open containers, innermost last: "{" or "[". */
  stack = "";
  mode: Mode = "value";
  /** In "string": whether it is an object key. */
  key = false;
  /** "value" right after "[": "]" may close the empty array. */
  emptyArray = false;
  part: NumberPart = "int";
  /** In "literal": the characters still to come; in "unicode": how many hex digits. */
  rest = "";
  hex = 0;
  /** The top-level value must be an object (response_format json_object). */
  readonly objectOnly: boolean;

  constructor(objectOnly = true) {
    this.objectOnly = objectOnly;
  }

  copy(): JsonRecogniser {
    const next = new JsonRecogniser(this.objectOnly);
    next.stack = this.stack;
    next.mode = this.mode;
    next.key = this.key;
    next.emptyArray = this.emptyArray;
    next.part = this.part;
    next.rest = this.rest;
    next.hex = this.hex;
    return next;
  }

  /** Feeds `text`; false when it cannot be part of a JSON document from here. */
  feed(text: string): boolean {
    for (const char of text) if (!this.#step(char)) return false;
    return true;
  }

  get complete(): boolean {
    return this.mode === "done" || (this.mode === "number" && this.stack === "" && numberCanEnd(this.part));
  }

  /** The fewest characters that complete the document from here. */
  get charsToComplete(): number {
    const closers = this.stack.length;
    switch (this.mode) {
      case "done":
        return 0;
      case "value":
        return (this.stack === "" && this.objectOnly ? 2 : 1) + closers;
      case "first-key":
      case "after-value":
        return closers;
      case "key":
        return 4 + closers; // "":0
      case "colon":
        return 2 + closers; // :0
      case "string":
        return 1 + (this.key ? 2 : 0) + closers;
      case "escape":
        return 2 + (this.key ? 2 : 0) + closers;
      case "unicode":
        return 4 - this.hex + 1 + (this.key ? 2 : 0) + closers;
      case "number":
        return (numberCanEnd(this.part) ? 0 : 1) + closers;
      case "literal":
        return this.rest.length + closers;
      default:
        return closers;
    }
  }

  #step(char: string): boolean {
    switch (this.mode) {
      case "done":
        return false;
      case "value":
        if (WHITESPACE.has(char)) return true;
        if (this.emptyArray && char === "]") return this.#close("[");
        this.emptyArray = false;
        if (this.stack === "" && this.objectOnly && char !== "{") return false;
        return this.#startValue(char);
      case "first-key":
        if (WHITESPACE.has(char)) return true;
        if (char === "}") return this.#close("{");
        return this.#startKey(char);
      case "key":
        if (WHITESPACE.has(char)) return true;
        return this.#startKey(char);
      case "colon":
        if (WHITESPACE.has(char)) return true;
        if (char !== ":") return false;
        this.mode = "value";
        return true;
      case "after-value":
        if (WHITESPACE.has(char)) return true;
        if (char === ",") {
          if (this.stack.endsWith("{")) this.mode = "key";
          else this.mode = "value";
          return this.stack !== "";
        }
        if (char === "}") return this.#close("{");
        if (char === "]") return this.#close("[");
        return false;
      case "string":
        if (char === '"') {
          this.mode = this.key ? "colon" : "after-value";
          if (!this.key) this.#valueDone();
          return true;
        }
        if (char === "\\") {
          this.mode = "escape";
          return true;
        }
        return char >= " " && char !== "\u007f";
      case "escape":
        if (char === "u") {
          this.mode = "unicode";
          this.hex = 0;
          return true;
        }
        if (!'"\\/bfnrt'.includes(char)) return false;
        this.mode = "string";
        return true;
      case "unicode":
        if (!/[0-9a-fA-F]/.test(char)) return false;
        if (++this.hex === 4) this.mode = "string";
        return true;
      case "number":
        return this.#number(char);
      case "literal":
        if (char !== this.rest[0]) return false;
        this.rest = this.rest.slice(1);
        if (this.rest === "") {
          this.mode = "after-value";
          this.#valueDone();
        }
        return true;
    }
  }

  #startValue(char: string): boolean {
    if (char === "{") {
      this.stack += "{";
      this.mode = "first-key";
      return true;
    }
    if (char === "[") {
      this.stack += "[";
      this.mode = "value";
      this.emptyArray = true;
      return true;
    }
    if (char === '"') {
      this.mode = "string";
      this.key = false;
      return true;
    }
    if (char === "-" || (char >= "0" && char <= "9")) {
      this.mode = "number";
      this.part = char === "-" ? "sign" : char === "0" ? "zero" : "int";
      return true;
    }
    for (const literal of ["true", "false", "null"]) {
      if (char === literal[0]) {
        this.mode = "literal";
        this.rest = literal.slice(1);
        return true;
      }
    }
    return false;
  }

  #startKey(char: string): boolean {
    if (char !== '"') return false;
    this.mode = "string";
    this.key = true;
    return true;
  }

  #number(char: string): boolean {
    const digit = char >= "0" && char <= "9";
    const next: Partial<Record<NumberPart, NumberPart | undefined>> = {
      sign: digit ? (char === "0" ? "zero" : "int") : undefined,
      zero: char === "." ? "dot" : char === "e" || char === "E" ? "e" : undefined,
      int: digit ? "int" : char === "." ? "dot" : char === "e" || char === "E" ? "e" : undefined,
      dot: digit ? "frac" : undefined,
      frac: digit ? "frac" : char === "e" || char === "E" ? "e" : undefined,
      e: digit ? "exp" : char === "+" || char === "-" ? "e-sign" : undefined,
      "e-sign": digit ? "exp" : undefined,
      exp: digit ? "exp" : undefined,
    };
    const part = next[this.part];
    if (part) {
      this.part = part;
      return true;
    }
    // The number ends here, if it may; the character then belongs to what follows it.
    if (!numberCanEnd(this.part)) return false;
    this.mode = "after-value";
    this.#valueDone();
    return this.#step(char);
  }

  #close(bracket: "{" | "["): boolean {
    if (!this.stack.endsWith(bracket)) return false;
    this.stack = this.stack.slice(0, -1);
    this.emptyArray = false;
    this.mode = "after-value";
    this.#valueDone();
    return true;
  }

  /** A value ended: at the top level, the document did. */
  #valueDone(): void {
    if (this.stack === "") this.mode = "done";
  }
}

function numberCanEnd(part: NumberPart): boolean {
  return part === "zero" || part === "int" || part === "frac" || part === "exp";
}
