// Renders chat messages into a prompt with the checkpoint's Jinja chat template (@huggingface/jinja).
import { Template } from "@huggingface/jinja";
import { CheckpointError } from "../errors";

export interface TemplateMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export class ChatTemplate {
  readonly #template: Template;

  constructor(
    source: string,
    private readonly specialTokens: Record<string, string>,
    file: string,
  ) {
    try {
      this.#template = new Template(source);
    } catch (error) {
      throw new CheckpointError(file, `chat_template does not parse: ${(error as Error).message}`);
    }
  }

  render(messages: TemplateMessage[], options: { addGenerationPrompt?: boolean; tools?: unknown[] } = {}): string {
    return this.#template.render({
      ...this.specialTokens,
      messages,
      tools: options.tools,
      add_generation_prompt: options.addGenerationPrompt ?? true,
    });
  }
}

/** `chat_template` may be a string or a list of named templates; the default one is used. */
export function chatTemplateSource(config: Record<string, unknown>): string | undefined {
  const template = config.chat_template;
  if (typeof template === "string") return template;
  if (Array.isArray(template)) {
    const named = template as { name?: string; template?: string }[];
    return (named.find((t) => t.name === "default") ?? named[0])?.template;
  }
  return undefined;
}
