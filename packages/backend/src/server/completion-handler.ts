// The shared life of a completion request: admission, cancellation on disconnect, a time limit,
// streaming (append deltas or diffusing drafts) or one JSON answer, usage and metrics.
import { randomUUID } from "node:crypto";
import type { CanvasFrame, FinishReason } from "@anneal/sdk/schema";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Admission, QueueFullError } from "./admission";
import { parseToolCalls } from "./chat-prompt";
import { HttpError, overloaded, shuttingDown } from "./http-error";
import type { OutputCheck } from "./json-output";
import type { ServerMetrics } from "./metrics";
import { type ChatDelta, chatChunk, chatUsageChunk } from "./responses/chat-chunk";
import { chatCompletion, editCompletion, type FinalAnswer } from "./responses/chat-completion";
import { type ResponseMeta, responseMeta } from "./responses/response-meta";
import { textChunk, textCompletion, textUsageChunk } from "./responses/text-completion";
import { usageOf } from "./responses/usage";
import type { ServedModel } from "./served-model";
import { SseWriter } from "./sse";
import { generateText, type TextOutcome, type TextRequest } from "./text-stream";

export interface CompletionPlan extends TextRequest {
  served: ServedModel;
  endpoint: string;
  /** "chat": chat.completion objects; "edit": edit.completion (never streamed); "text": text_completion (FIM). */
  shape: "chat" | "edit" | "text";
  stream: boolean;
  includeUsage: boolean;
  tools: boolean;
  /** The response_format check (JSON formats): answers are retried until they pass. */
  checkOutput: OutputCheck | undefined;
  /** The check of an answer laid out on a constrained canvas: it cannot fail, and a failure is a bug (500). */
  finalCheck: OutputCheck | undefined;
  /** Sent in the response's `warning` field (e.g. a schema answered without the canvas). */
  warning: string | undefined;
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
  return reply.code(499).send(new HttpError(499, "client closed the request", "client_closed", "client_closed").body());
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
  const meta = responseMeta(plan.shape === "text" ? "text" : "chat", plan.served.id);
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
    if (error instanceof QueueFullError) throw overloaded("The server is at capacity; retry shortly.");
    if (controller.signal.aborted) return clientGone(reply); // it left while queued
    if (ctx.shutdown.aborted) throw shuttingDown();
    if (signal.aborted) throw overloaded("No generation slot freed up in time.");
    throw error;
  } finally {
    ctx.metrics.queueDepth.set(ctx.admission.queued);
  }
  ctx.metrics.running.inc();
  ctx.metrics.promptTokens.inc({ model }, plan.prompt.length);
  const options = { ...plan.options, signal };
  try {
    if (plan.stream) return await streamCompletion(reply, plan, { ...plan, options }, { meta, started, ctx });
    const outcome = await completeWithFormat({ ...plan, options });
    record(ctx, plan, outcome, started);
    return reply.header("x-request-id", request.id).send(completionBody(plan, outcome, meta));
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
    assertLaidOut(plan, next.value.text);
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

/** A laid-out answer that fails its schema is our bug: the client gets a 500, never the bad JSON. */
function assertLaidOut(plan: CompletionPlan, text: string): void {
  const problem = plan.finalCheck?.(text);
  if (problem === undefined) return;
  console.error(`anneal: a structured answer broke its schema (a bug, please report): ${problem}\n${text}`);
  throw new HttpError(500, "The structured answer failed its final schema check.", "server_error", "server_error");
}

interface StreamContext {
  meta: ResponseMeta;
  started: number;
  ctx: HandlerContext;
}

async function streamCompletion(reply: FastifyReply, plan: CompletionPlan, run: CompletionPlan, ids: StreamContext) {
  reply.hijack();
  const sse = new SseWriter(reply.raw, { "x-request-id": String(reply.request.id) });
  let sent = false;
  // Every frame goes through here: the first one carries the assistant role and sets time to first token.
  const send = (delta: ChatDelta, text: string | undefined, finish: FinishReason | null, canvas?: CanvasFrame) => {
    if (!sent)
      ids.ctx.metrics.timeToFirstToken.observe({ endpoint: plan.endpoint }, (performance.now() - ids.started) / 1000);
    sse.send(
      plan.shape === "text"
        ? textChunk(ids.meta, text ?? "", finish)
        : chatChunk(
            ids.meta,
            {
              ...(sent ? {} : { role: "assistant" as const }),
              ...delta,
              ...(text !== undefined ? { content: text } : {}),
            },
            finish,
            canvas,
          ),
    );
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
        const event = next.value;
        send({}, event.text, null, event.kind === "draft" ? event.canvas : undefined);
        next = await stream.next();
      }
      outcome = next.value;
      assertLaidOut(plan, outcome.text);
      // Diffusing: the last frame repeats the final answer, so a replacing client ends on it.
      send({}, plan.diffusing ? outcome.text : undefined, outcome.finishReason);
    }
    if (plan.includeUsage) {
      const usage = usageOf(promptTokens(plan), outcome);
      sse.send(plan.shape === "text" ? textUsageChunk(ids.meta, usage) : chatUsageChunk(ids.meta, usage));
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
              "server_error",
            );
    if (!sse.closed) {
      sse.send(http.body());
      sse.done();
    }
  }
}

function finalParts(plan: CompletionPlan, outcome: TextOutcome): FinalAnswer {
  const plain = { content: outcome.text, finishReason: outcome.finishReason, toolCalls: undefined };
  if (!plan.tools) return plain;
  const { content, calls } = parseToolCalls(outcome.text);
  if (calls.length === 0) return plain;
  const toolCalls = calls.map((call) => ({
    id: `call_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
    type: "function" as const,
    function: call,
  }));
  return { content: content || null, finishReason: "tool_calls", toolCalls };
}

function completionBody(plan: CompletionPlan, outcome: TextOutcome, meta: ResponseMeta) {
  const usage = usageOf(promptTokens(plan), outcome);
  if (plan.shape === "text") return textCompletion(meta, outcome.text, outcome.finishReason, usage);
  const answer = finalParts(plan, outcome);
  return plan.shape === "edit"
    ? editCompletion(meta, answer, usage)
    : chatCompletion(meta, answer, usage, plan.warning);
}

/** The prompt's tokens as usage counts them (a FIM suffix is prompt too). */
function promptTokens(plan: CompletionPlan): number {
  return plan.prompt.length + (plan.options.suffix?.length ?? 0);
}

function record(ctx: HandlerContext, plan: CompletionPlan, outcome: TextOutcome, started: number) {
  ctx.metrics.generatedTokens.inc({ model: plan.served.id }, outcome.completionTokens);
  ctx.metrics.tokensPerForward.observe(outcome.tokensPerForward);
  ctx.metrics.latency.observe({ endpoint: plan.endpoint }, (performance.now() - started) / 1000);
}
