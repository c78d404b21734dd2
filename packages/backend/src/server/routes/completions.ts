// POST /v1/chat/completions, /v1/fim/completions (and /v1/completions), /v1/edit/completions and
// /v1/apply/completions: validate with the SDK's schemas, build the prompt, hand over to the handler.
import {
  ApplyCompletionCreateParamsSchema,
  ChatCompletionCreateParamsSchema,
  EditCompletionCreateParamsSchema,
  FIM_DEFAULT_STOP,
  FimCompletionCreateParamsSchema,
} from "@anneal/sdk/schema";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { laysOutStructuredOutput } from "../../checkpoint/architecture";
import type { CanvasConstraint } from "../../engine/structured/canvas-rules";
import {
  fewestInfillTokens,
  JsonGapError,
  jsonGap,
  jsonInfillCanvas,
  jsonInfillCheck,
} from "../../engine/structured/json-infill";
import { chatPromptTokens } from "../chat-prompt";
import { type CompletionPlan, type HandlerContext, handleCompletion } from "../completion-handler";
import { decodingBudget } from "../decoding-budget";
import { badRequest, validationError } from "../http-error";
import { MAX_JSON_DEPTH, tooDeepPath } from "../json-depth";
import type { OutputCheck } from "../json-output";
import type { ModelRegistry } from "../model-registry";
import { promptTokens } from "../prompt-tokens";
import type { ServedModel } from "../served-model";
import { chatOutput } from "../structured-output";

export interface CompletionLimits {
  /** Largest max_tokens a request may ask for. */
  maxTokens: number;
  defaultChatTokens: number;
  defaultFimTokens: number;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const deep = tooDeepPath(body);
  if (deep !== undefined) throw badRequest(`${deep} is nested more than ${MAX_JSON_DEPTH} levels deep.`, deep);
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

/** Anneal's `ignore_eos` (declared in the schema package): the whole canvas is decoded even after EOS. */
function ignoringEos(params: { ignore_eos?: boolean | undefined }): { stopIds?: number[]; earlyStop?: boolean } {
  return params.ignore_eos === true ? { stopIds: [], earlyStop: false } : {};
}

function stops(stop: string | string[] | null | undefined): string[] {
  if (!stop) return [];
  return typeof stop === "string" ? [stop] : stop;
}

/** max_tokens within the server's cap and the model's context; a request that cannot fit is a 400. */
function answerLength(
  served: ServedModel,
  promptLength: number,
  asked: number | undefined,
  fallback: number,
  limits: CompletionLimits,
): number {
  if (asked !== undefined && asked > limits.maxTokens) {
    throw badRequest(`max_tokens is ${asked}, but this server allows at most ${limits.maxTokens}.`, "max_tokens");
  }
  const room = served.contextLength - promptLength;
  const length = asked ?? Math.min(fallback, limits.maxTokens, room);
  if (promptLength + length > served.contextLength || length < 1) {
    throw badRequest(
      `This model's context is ${served.contextLength} tokens; the prompt has ${promptLength} and the answer needs ${length}.`,
      "messages",
      "context_length_exceeded",
    );
  }
  return length;
}

/** The answer length of a chat-shaped request (chat, edit, apply), which may name either limit field. */
function chatAnswerLength(
  served: ServedModel,
  promptLength: number,
  params: { max_tokens?: number | null | undefined; max_completion_tokens?: number | null | undefined },
  limits: CompletionLimits,
): number {
  const asked = params.max_tokens ?? params.max_completion_tokens ?? undefined;
  return answerLength(served, promptLength, asked, limits.defaultChatTokens, limits);
}

/** A laid-out answer's length: the layout's (of `what`), which max_tokens and the context must both hold. */
function canvasLength(
  served: ServedModel,
  promptLength: number,
  layout: number,
  params: { max_tokens?: number | null | undefined; max_completion_tokens?: number | null | undefined },
  limits: CompletionLimits,
  what: "tools" | "response_format",
): number {
  const asked = params.max_tokens ?? params.max_completion_tokens ?? undefined;
  const cap = Math.min(asked ?? limits.maxTokens, limits.maxTokens);
  if (layout > cap) {
    throw badRequest(
      `${what}: the layout needs ${layout} tokens, but max_tokens allows ${cap}; raise max_tokens or give strings a maxLength and arrays a maxItems.`,
      asked !== undefined ? "max_tokens" : what,
    );
  }
  return answerLength(served, promptLength, layout, layout, limits);
}

/** The request fields every completion endpoint shares. */
interface CommonParams {
  stream?: boolean | null | undefined;
  stream_options?: { include_usage?: boolean | undefined } | null | undefined;
  stop?: string | string[] | null | undefined;
  temperature?: number | undefined;
  top_p?: number | undefined;
  top_k?: number | undefined;
  seed?: number | undefined;
  ignore_eos?: boolean | undefined;
}

/** A plan with the shared defaults (medium effort, the model's published temperature); `extra` sets what an endpoint adds. */
function planFor(
  base: Pick<CompletionPlan, "served" | "endpoint" | "shape" | "prompt">,
  params: CommonParams,
  maxTokens: number,
  extra: Partial<Omit<CompletionPlan, "options">> & { options?: Partial<CompletionPlan["options"]> } = {},
): CompletionPlan {
  const { options, ...rest } = extra;
  // What the request leaves out, the model's published decoding fills in (model-spec/variants.ts).
  const published = base.served.checkpoint.variant.decoding;
  return {
    ...base,
    stream: params.stream === true,
    includeUsage: params.stream_options?.include_usage === true,
    tools: false,
    checkOutput: undefined,
    finalCheck: undefined,
    warning: undefined,
    stop: stops(params.stop),
    diffusing: false,
    ...rest,
    options: {
      ...decodingBudget("medium", false, maxTokens),
      maxTokens,
      temperature: params.temperature ?? published.temperature,
      topP: params.top_p ?? published.topP ?? 1,
      topK: params.top_k !== undefined ? Math.max(0, params.top_k) : (published.topK ?? 0),
      ...(published.positionTemperature ? { positionTemperature: published.positionTemperature } : {}),
      seed: params.seed ?? 0,
      // A chat answer's end is committed last within its block (LLaDA's confidence_eos_eot_inf): small
      // models are most confident about EOS everywhere and would otherwise answer with nothing.
      ...(base.shape === "chat" ? { deferTokens: base.served.checkpoint.architecture.stopIds } : {}),
      ...options,
      ...ignoringEos(params),
    },
  };
}

/** A 400 on `param` when the model cannot decode a laid-out canvas (`what` names what asked for one). */
function requireLayout(served: ServedModel, what: string, param: string): void {
  if (laysOutStructuredOutput(served.checkpoint.architecture)) return;
  // Its sub-block decoding reads tokens autoregressively between blocks: no fixed layout fits it yet.
  throw badRequest(
    `${served.id} (${served.checkpoint.architecture.family}) cannot lay out ${what} yet; send it to another model.`,
    param,
  );
}

/** FIM with `response_format: json_object`: the gap's infill on a JSON-grammar canvas, and its last check. */
function jsonInfill(
  served: ServedModel,
  params: { prompt: string; suffix?: string | null | undefined },
  length: number,
): { constraint: CanvasConstraint; check: OutputCheck } {
  requireLayout(served, "structured output", "response_format");
  const suffix = params.suffix ?? "";
  try {
    const gap = jsonGap(params.prompt, suffix);
    const fewest = fewestInfillTokens(gap);
    if (length < fewest)
      throw badRequest(`max_tokens is ${length}; an infill of ${gap} there needs at least ${fewest}.`, "max_tokens");
    return {
      constraint: jsonInfillCanvas(gap, length, served.checkpoint),
      check: jsonInfillCheck(params.prompt, suffix),
    };
  } catch (error) {
    if (error instanceof JsonGapError)
      throw badRequest(`response_format: json_object: ${error.message}.`, "response_format");
    throw error;
  }
}

export function completionRoutes(
  app: FastifyInstance,
  registry: ModelRegistry,
  limits: CompletionLimits,
  ctx: HandlerContext,
) {
  app.post("/v1/chat/completions", async (request, reply) => {
    const params = parse(ChatCompletionCreateParamsSchema, request.body);
    if (params.n !== undefined && params.n !== null && params.n !== 1) {
      throw badRequest("n: this server answers with one choice per request; send n: 1 or leave it out.", "n");
    }
    const served = registry.get(params.model);
    const tools = params.tool_choice === "none" ? undefined : params.tools;
    const hasTools = (tools?.length ?? 0) > 0;
    const structured = chatOutput(served, tools, params.tool_choice, params.response_format);
    const prompt = await chatPromptTokens(served, params.messages, tools);
    const layout = structured.kind === "canvas" ? structured.constraint : undefined;
    const maxTokens = layout
      ? canvasLength(served, prompt.length, layout.length, params, limits, hasTools ? "tools" : "response_format")
      : chatAnswerLength(served, prompt.length, params, limits);
    const canvas = structured.kind === "grammar" ? structured.canvas(maxTokens) : layout;
    // A call laid out behind an `auto` choice may need more than the answer length: it must fit too.
    if (canvas && canvas.length > maxTokens)
      canvasLength(served, prompt.length, canvas.length, params, limits, "tools");
    if (canvas) requireLayout(served, "structured output or tool calls", hasTools ? "tools" : "response_format");
    const budget = decodingBudget(
      params.reasoning_effort,
      params.realtime,
      maxTokens,
      served.checkpoint.variant.decoding.sampler,
      served.checkpoint.variant.decoding.threshold,
    );
    const plan = planFor({ served, endpoint: "chat", shape: "chat", prompt }, params, maxTokens, {
      tools: hasTools,
      checkOutput: structured.kind === "retry" ? structured.check : undefined,
      finalCheck: canvas && structured.kind !== "none" ? structured.check : undefined,
      warning: structured.kind !== "none" ? structured.warning : undefined,
      diffusing: params.diffusing === true,
      canvas: params.canvas === true,
      // A laid-out answer ends where its schema does: no stop strings or tokens cut it, and its padding
      // (the end-of-text token) is an ordinary choice, not one deferred to the end.
      ...(canvas ? { stop: [] } : {}),
      options: canvas ? { ...budget, constraint: canvas, stopIds: [], deferTokens: [] } : budget,
    });
    return handleCompletion(request, reply, plan, ctx);
  });

  const fim = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = parse(FimCompletionCreateParamsSchema, request.body);
    const served = registry.get(params.model);
    if ((served.checkpoint.architecture.blockSize ?? 0) > 0 && params.suffix) {
      // Block diffusion decodes left to right across blocks: nothing after the gap can be attended to.
      throw badRequest(
        `${served.id} decodes in causal blocks (${served.checkpoint.architecture.family}) and cannot fill a gap: send no suffix, or use a bidirectional model.`,
        "suffix",
      );
    }
    const [prompt, suffix] = (await promptTokens(served, [params.prompt, params.suffix ?? ""], "prompt")) as [
      number[],
      number[],
    ];
    const maxTokens = answerLength(
      served,
      prompt.length + suffix.length,
      params.max_tokens ?? params.max_completion_tokens,
      limits.defaultFimTokens,
      limits,
    );
    const json = params.response_format?.type === "json_object" ? jsonInfill(served, params, maxTokens) : undefined;
    // A FIM request that names no stop ends at a blank line, as Inception's FIM does; a JSON infill ends
    // where its value or string does, and no stop cuts it.
    const stop = json ? [] : (params.stop ?? FIM_DEFAULT_STOP);
    const plan = planFor({ served, endpoint: "fim", shape: "text", prompt }, { ...params, stop }, maxTokens, {
      finalCheck: json?.check,
      options: json ? { suffix, constraint: json.constraint, stopIds: [], deferTokens: [] } : { suffix },
    });
    return handleCompletion(request, reply, plan, ctx);
  };
  app.post("/v1/fim/completions", fim);
  app.post("/v1/completions", fim); // the legacy path Continue and OpenAI-style clients use

  // Next edit is never streamed (Inception: "streaming and tool calling are not supported on this
  // endpoint"); a client that asks gets told, rather than a JSON answer where it expects events.
  app.post("/v1/edit/completions", async (request, reply) => {
    if ((request.body as { stream?: unknown } | null)?.stream === true) {
      throw badRequest("stream: /v1/edit/completions does not stream; send the request without stream.", "stream");
    }
    const params = parse(EditCompletionCreateParamsSchema, request.body);
    return taggedPromptCompletion(request, reply, params, "edit");
  });
  app.post("/v1/apply/completions", async (request, reply) => {
    const params = parse(ApplyCompletionCreateParamsSchema, request.body);
    return taggedPromptCompletion(request, reply, params, "apply");
  });

  async function taggedPromptCompletion(
    request: FastifyRequest,
    reply: FastifyReply,
    params: z.infer<typeof ApplyCompletionCreateParamsSchema> | z.infer<typeof EditCompletionCreateParamsSchema>,
    endpoint: "edit" | "apply",
  ) {
    const served = registry.get(params.model);
    const prompt = await chatPromptTokens(served, params.messages, undefined);
    const maxTokens = chatAnswerLength(served, prompt.length, params, limits);
    const shape = endpoint === "edit" ? "edit" : "chat";
    return handleCompletion(request, reply, planFor({ served, endpoint, shape, prompt }, params, maxTokens), ctx);
  }
}
