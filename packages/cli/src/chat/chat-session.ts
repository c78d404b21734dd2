// A conversation: its settings, its turns and running statistics — everything /save writes and --resume reads.
import type { ChatMessage, ReasoningEffort } from "@anneal/sdk";

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

export interface SessionStats {
  requests: number;
  tokens: number;
  seconds: number;
  forwardPasses: number;
}

export interface ChatSessionData {
  model: string;
  system?: string | undefined;
  effort?: ReasoningEffort | undefined;
  diffusing: boolean;
  turns: Turn[];
  stats: SessionStats;
}

export class ChatSession implements ChatSessionData {
  model: string;
  system: string | undefined;
  effort: ReasoningEffort | undefined;
  diffusing: boolean;
  turns: Turn[] = [];
  stats: SessionStats = { requests: 0, tokens: 0, seconds: 0, forwardPasses: 0 };

  constructor(data: Partial<ChatSessionData> & { model: string }) {
    this.model = data.model;
    this.system = data.system;
    this.effort = data.effort;
    this.diffusing = data.diffusing ?? false;
    if (data.turns) this.turns = [...data.turns];
    if (data.stats) this.stats = { ...data.stats };
  }

  /** The messages of the next request: the system message, then every turn. */
  messages(): ChatMessage[] {
    return [...(this.system ? [{ role: "system" as const, content: this.system }] : []), ...this.turns];
  }

  record(tokens: number, seconds: number, forwardPasses: number): void {
    this.stats.requests++;
    this.stats.tokens += tokens;
    this.stats.seconds += seconds;
    this.stats.forwardPasses += forwardPasses;
  }

  toJSON(): ChatSessionData {
    return {
      model: this.model,
      system: this.system,
      effort: this.effort,
      diffusing: this.diffusing,
      turns: this.turns,
      stats: this.stats,
    };
  }
}
