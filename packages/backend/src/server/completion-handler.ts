// The shared life of a completion request: admission, cancellation on disconnect, a time limit,
// streaming (append deltas or diffusing drafts) or one JSON answer, usage and metrics.
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Admission, QueueFullError } from "./admission";
import { parseToolCalls } from "./chat-prompt";
import { HttpError, shuttingDown } from "./http-error";
import type { OutputCheck } from "./json-output";
import type { ServerMetrics } from "./metrics";
import type { ServedModel } from "./served-model";
import { SseWriter } from "./sse";
import { generateText, type TextOutcome, type TextRequest } from "./text-stream";

export interface CompletionPlan extends TextRequest {
  served: ServedModel;
  endpoint: string;
  /** "chat": chat.completion objects; "text": text_completion objects (FIM). */
  shape: "chat" | "text";
  stream: boolean;
  includeUsage: boolean;
  tools: boolean;
  /** The response_format check (JSON formats): answers are retried until they pass. */
  checkOutput: OutputCheck | undefined;
}

export interface HandlerContext {
  admission: Admission;
  metrics: ServerMetrics;
  requestTimeoutMs: number;
  /** Aborted on shutdown, after the grace period. */
  shutdown: AbortSignal;
}

/** Nobody will read the answer; 499 (client closed request) keeps the logs and metrics honest. */
function clientGone(reply: FastifyReply) {
  return reply
    .code(499)
    .send({ error: { message: "client closed the request", type: "client_closed", param: null, code: null } });
}

/** Attempts at a schema-valid answer before giving up (each with the next seed). */
const JSON_ATTEMPTS = 3;

export async function handleCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  plan: CompletionPlan,
  ctx: HandlerContext,
) {
  const started = performance.now();
  const id = `${plan.shape === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = plan.served.id;
  // Stop as soon as the client goes away, the time limit passes, or the server shuts down.
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error("client disconnected"));
  };
  reply.raw.on("close", onClose);
  const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(ctx.requestTimeoutMs), ctx.shutdown]);

  let release: () => void;
  try {
    ctx.metrics.queueDepth.set(ctx.admission.queued + 1);
    release = await ctx.admission.acquire(signal);
  } catch (error) {
    if (error instanceof QueueFullError) {
      throw new HttpError(429, "The server is at capacity; retry shortly.", "rate_limit_error", "server_busy", null, {
        "retry-after": "1",
      });
    }
    if (controller.signal.aborted) return clientGone(reply); // it left while queued
    if (ctx.shutdown.aborted) throw shuttingDown();
    if (signal.aborted)
      throw new HttpError(503, "No generation slot freed up in time.", "unavailable_error", "timeout", null, {
        "retry-after": "1",
      });
    throw error;
  } finally {
    ctx.metrics.queueDepth.set(ctx.admission.queued);
  }
  ctx.metrics.running.inc();
  ctx.metrics.promptTokens.inc({ model }, plan.prompt.length);
  const options = { ...plan.options, signal };
  try {
    if (plan.stream)
      return await streamCompletion(reply, plan, { ...plan, options }, { id, created, model, started, ctx });
    const outcome = await completeWithFormat({ ...plan, options });
    record(ctx, plan, outcome, started);
    return reply.header("x-request-id", request.id).send(completionBody(plan, outcome, id, created, model));
  } catch (error) {
    if (signal.aborted && !(error instanceof HttpError)) {
      if (controller.signal.aborted) return clientGone(reply);
      if (ctx.shutdown.aborted) throw shuttingDown();
      throw new HttpError(
        504,
        "The generation did not finish within the server's time limit.",
        "timeout_error",
        "timeout",
      );
    }
    throw error;
  } finally {
    reply.raw.off("close", onClose);
    ctx.metrics.running.dec();
    release();
  }
}

/**
 * While a buffered answer (tool calls, JSON formats) is being made, a stream gets an empty delta at
 * most this often: real frames, so that clients' idle timeouts (which rightly ignore comments) hold.
 */
const PROGRESS_INTERVAL_MS = 1_000;

/** Runs to completion; with a JSON response_format, retries with new seeds until the answer validates. */
async function completeWithFormat(plan: CompletionPlan): Promise<TextOutcome> {
  for (let attempt = 0; ; attempt++) {
    const seed = (plan.options.seed ?? 0) + attempt;
    const run = generateText(plan.served, {
      ...plan,
      options: {
        ...plan.options,
        seed,
        temperature: attempt > 0 ? Math.max(plan.options.temperature ?? 0, 0.7) : plan.options.temperature,
      },
    });
    let next = await run.next();
    while (!next.done) next = await run.next();
    const problem = plan.checkOutput?.(next.value.text);
    if (!problem) return next.value;
    if (attempt + 1 >= JSON_ATTEMPTS) {
      throw new HttpError(
        422,
        `The model could not produce output matching response_format in ${JSON_ATTEMPTS} attempts: ${problem}.`,
        "invalid_request_error",
        "invalid_output",
      );
    }
  }
}

interface StreamIds {
  id: string;
  created: number;
  model: string;
  started: number;
  ctx: HandlerContext;
}

async function streamCompletion(reply: FastifyReply, plan: CompletionPlan, run: CompletionPlan, ids: StreamIds) {
  reply.hijack();
  const sse = new SseWriter(reply.raw, { "x-request-id": String(reply.request.id) });
  let sent = false;
  // Every frame goes through here: the first one carries the assistant role and sets time to first token.
  const send = (delta: Record<string, unknown>, text: string | undefined, finish: string | null) => {
    if (!sent)
      ids.ctx.metrics.timeToFirstToken.observe({ endpoint: plan.endpoint }, (performance.now() - ids.started) / 1000);
    const choice =
      plan.shape === "chat"
        ? {
            index: 0,
            delta: {
              ...(sent ? {} : { role: "assistant" }),
              ...delta,
              ...(text !== undefined ? { content: text } : {}),
            },
            finish_reason: finish,
          }
        : { index: 0, text: text ?? "", finish_reason: finish, logprobs: null };
    sse.send({
      id: ids.id,
      object: plan.shape === "chat" ? "chat.completion.chunk" : "text_completion",
      created: ids.created,
      model: ids.model,
      choices: [choice],
    });
    sent = true;
  };
  try {
    // Tool calls and JSON formats can only be judged whole: those answers are sent at the end.
    const buffered = plan.tools || plan.checkOutput !== undefined;
    let outcome: TextOutcome;
    if (buffered) {
      let last = performance.now();
      const onStep = () => {
        if (performance.now() - last < PROGRESS_INTERVAL_MS) return;
        last = performance.now();
        send({}, undefined, null); // "still working": an empty delta, documented in the README
      };
      send({}, undefined, null);
      outcome = await completeWithFormat({ ...run, onStep });
      const tail = finalParts(plan, outcome);
      if (tail.toolCalls)
        send({ tool_calls: tail.toolCalls.map((call, index) => ({ index, ...call })) }, undefined, null);
      else send({}, tail.content ?? "", null);
      send({}, undefined, tail.finishReason);
    } else {
      const stream = generateText(plan.served, run);
      let next = await stream.next();
      while (!next.done) {
        send({}, next.value.text, null);
        next = await stream.next();
      }
      outcome = next.value;
      // Diffusing: the last frame repeats the final answer, so a replacing client ends on it.
      send({}, plan.diffusing ? outcome.text : undefined, outcome.finishReason);
    }
    if (plan.includeUsage) {
      const object = plan.shape === "chat" ? "chat.completion.chunk" : "text_completion";
      sse.send({
        id: ids.id,
        object,
        created: ids.created,
        model: ids.model,
        choices: [],
        usage: usage(plan, outcome),
      });
    }
    record(ids.ctx, plan, outcome, ids.started);
    sse.done();
  } catch (error) {
    // The status line is gone: report in the stream, as Mercury does, then end it.
    const http =
      error instanceof HttpError
        ? error
        : ids.ctx.shutdown.aborted
          ? shuttingDown()
          : new HttpError(
              500,
              reply.raw.destroyed ? "client disconnected" : "The generation failed.",
              "server_error",
              "internal_error",
            );
    if (!sse.closed) {
      sse.send(http.body());
      sse.done();
    }
  }
}

function finalParts(plan: CompletionPlan, outcome: TextOutcome) {
  if (!plan.tools) return { content: outcome.text, finishReason: outcome.finishReason as string, toolCalls: undefined };
  const { content, calls } = parseToolCalls(outcome.text);
  if (calls.length === 0)
    return { content: outcome.text, finishReason: outcome.finishReason as string, toolCalls: undefined };
  const toolCalls = calls.map((call) => ({
    id: `call_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
    type: "function" as const,
    function: call,
  }));
  return { content: content || null, finishReason: "tool_calls", toolCalls };
}

function completionBody(plan: CompletionPlan, outcome: TextOutcome, id: string, created: number, model: string) {
  if (plan.shape === "text") {
    return {
      id,
      object: "text_completion",
      created,
      model,
      choices: [{ index: 0, text: outcome.text, finish_reason: outcome.finishReason, logprobs: null }],
      usage: usage(plan, outcome),
    };
  }
  const parts = finalParts(plan, outcome);
  const message = {
    role: "assistant",
    content: parts.content,
    ...(parts.toolCalls ? { tool_calls: parts.toolCalls } : {}),
  };
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message, finish_reason: parts.finishReason }],
    usage: usage(plan, outcome),
  };
}

function usage(plan: CompletionPlan, outcome: TextOutcome) {
  const prompt = plan.prompt.length + (plan.options.suffix?.length ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: outcome.completionTokens,
    total_tokens: prompt + outcome.completionTokens,
    reasoning_tokens: 0,
    cached_input_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
    /** Anneal extension: how the diffusion decode went. */
    forward_passes: outcome.forwardPasses,
    tokens_per_forward: Number(outcome.tokensPerForward.toFixed(3)),
  };
}

function record(ctx: HandlerContext, plan: CompletionPlan, outcome: TextOutcome, started: number) {
  ctx.metrics.generatedTokens.inc({ model: plan.served.id }, outcome.completionTokens);
  ctx.metrics.tokensPerForward.observe(outcome.tokensPerForward);
  ctx.metrics.latency.observe({ endpoint: plan.endpoint }, (performance.now() - started) / 1000);
}
