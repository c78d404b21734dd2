// `mercury.fim(id)` and `mercury.edit(id)`: completion-style models. FIM takes the prompt's text as the
// text before the cursor and `providerOptions.mercury.suffix` as the text after it (and a JSON response
// format without a schema as Anneal's JSON infill); edit takes the
// tagged prompt `buildNextEditPrompt` writes (from @anneal/sdk) as its one user message. Neither
// streams drafts; edit does not stream at all (Inception's API), so its stream is the whole answer.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  SharedV3Warning,
} from "@ai-sdk/provider";
import type { EditCompletionCreateParams, FimCompletionCreateParams, Mercury, Usage } from "@anneal/sdk";
import { toAISDKError } from "./api-call-error";
import { mercuryOptions } from "./provider-options";
import { requestOptions } from "./request-options";
import { finishReason, mercuryMetadata, usageOf } from "./response-parts";

type Kind = "fim" | "edit";

/** What either endpoint answered, in the shape the result is built from. */
interface Called {
  answer: {
    id: string;
    model: string;
    created: number;
    text: string;
    finishReason: string | null | undefined;
    usage?: Usage | undefined;
  };
  response: Response;
  body: unknown;
}

export class MercuryCompletionLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly supportedUrls = {};
  readonly provider: string;

  constructor(
    readonly modelId: string,
    private readonly client: Mercury,
    private readonly kind: Kind,
  ) {
    this.provider = `mercury.${kind}`;
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { warnings, prompt, suffix, jsonInfill } = this.#request(options);
    const common = {
      model: this.modelId,
      ...(options.maxOutputTokens !== undefined ? { max_tokens: options.maxOutputTokens } : {}),
      ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      ...(options.stopSequences?.length ? { stop: options.stopSequences } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    };
    const { answer, response, body } =
      this.kind === "fim"
        ? await this.#fim(options, {
            ...common,
            prompt,
            suffix,
            ...(options.topK !== undefined ? { top_k: options.topK } : {}),
            ...(options.frequencyPenalty !== undefined ? { frequency_penalty: options.frequencyPenalty } : {}),
            ...(jsonInfill ? { response_format: { type: "json_object" as const } } : {}),
          })
        : await this.#edit(options, {
            ...common,
            messages: [{ role: "user" as const, content: prompt }],
            ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
          });
    const metadata = mercuryMetadata(answer.usage, undefined);
    return {
      content: answer.text ? [{ type: "text", text: answer.text }] : [],
      finishReason: finishReason(answer.finishReason),
      usage: usageOf(answer.usage),
      ...(metadata ? { providerMetadata: metadata } : {}),
      request: { body },
      response: {
        id: answer.id,
        modelId: answer.model,
        timestamp: new Date(answer.created * 1000),
        headers: Object.fromEntries(response.headers),
      },
      warnings,
    };
  }

  async #fim(options: LanguageModelV3CallOptions, body: FimCompletionCreateParams): Promise<Called> {
    const { data, response } = await this.client.fim.completions
      .create({ ...body, stream: false }, requestOptions(options))
      .withResponse()
      .catch((error: unknown) => Promise.reject(toAISDKError(error, this.#url, body)));
    const choice = data.choices[0];
    const answer = { ...data, text: choice?.text ?? "", finishReason: choice?.finish_reason };
    return { answer, response, body };
  }

  async #edit(options: LanguageModelV3CallOptions, body: EditCompletionCreateParams): Promise<Called> {
    const { data, response } = await this.client.edit.completions
      .create(body, requestOptions(options))
      .withResponse()
      .catch((error: unknown) => Promise.reject(toAISDKError(error, this.#url, body)));
    const choice = data.choices[0];
    const answer = { ...data, text: choice?.message.content ?? "", finishReason: choice?.finish_reason };
    return { answer, response, body };
  }

  get #url(): string {
    return `${this.client.baseURL}/${this.kind}/completions`;
  }

  /** The whole answer as one text part: these endpoints' answers are short, and edit cannot stream. */
  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const result = await this.doGenerate(options);
    const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    const parts: LanguageModelV3StreamPart[] = [
      { type: "stream-start", warnings: result.warnings },
      {
        type: "response-metadata",
        ...(result.response?.id ? { id: result.response.id } : {}),
        ...(result.response?.modelId ? { modelId: result.response.modelId } : {}),
      },
      ...(text
        ? ([
            { type: "text-start", id: "text-0" },
            { type: "text-delta", id: "text-0", delta: text },
            { type: "text-end", id: "text-0" },
          ] as const)
        : []),
      {
        type: "finish",
        finishReason: result.finishReason,
        usage: result.usage,
        ...(result.providerMetadata ? { providerMetadata: result.providerMetadata } : {}),
      },
    ];
    return {
      stream: new ReadableStream({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      }),
      ...(result.request ? { request: result.request } : {}),
    };
  }

  #request(options: LanguageModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    const mercury = mercuryOptions(options.providerOptions);
    const unsupported = (feature: string, given: unknown) => {
      if (given !== undefined) warnings.push({ type: "unsupported", feature });
    };
    unsupported("tools", options.tools?.length ? options.tools : undefined);
    // FIM with JSON and no schema: Anneal's json_object infill keeps prompt + infill + suffix one JSON
    // document (other servers ignore the field). A schema, or JSON from edit, is not supported.
    const json = options.responseFormat?.type === "json" ? options.responseFormat : undefined;
    const jsonInfill = this.kind === "fim" && json !== undefined && json.schema === undefined;
    unsupported("responseFormat", jsonInfill ? undefined : json);
    unsupported("presencePenalty", options.presencePenalty);
    if (this.kind === "fim")
      unsupported("temperature", options.temperature); // FIM has no temperature
    else {
      unsupported("topK", options.topK);
      unsupported("frequencyPenalty", options.frequencyPenalty);
      unsupported("suffix", mercury.suffix);
    }
    unsupported("diffusing", mercury.diffusing);
    // The prompt's text, in order: system and user text (a FIM prompt is the text before the cursor).
    const prompt = options.prompt
      .flatMap((message) =>
        message.role === "system"
          ? [message.content]
          : message.role === "user"
            ? message.content.map((part) => (part.type === "text" ? part.text : ""))
            : [],
      )
      .join("\n");
    return { warnings, prompt, suffix: mercury.suffix ?? "", jsonInfill };
  }
}
