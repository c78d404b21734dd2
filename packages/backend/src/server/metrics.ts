// Prometheus metrics (prom-client): requests, tokens, forward passes and their batch sizes, tokens per
// forward, queue depth, latency and time to first token.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "anneal_requests_total",
    help: "HTTP requests by endpoint and status",
    labelNames: ["endpoint", "status"],
    registers: [this.registry],
  });
  readonly promptTokens = new Counter({
    name: "anneal_prompt_tokens_total",
    help: "Prompt tokens processed",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly generatedTokens = new Counter({
    name: "anneal_generated_tokens_total",
    help: "Answer tokens generated",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly forwardPasses = new Counter({
    name: "anneal_forward_passes_total",
    help: "Native forward passes (each may serve several requests)",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "anneal_forward_batch_sequences",
    help: "Sequences per forward pass",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });
  readonly tokensPerForward = new Histogram({
    name: "anneal_tokens_per_forward",
    help: "Tokens committed per forward pass, per request",
    buckets: [1, 1.5, 2, 3, 4, 6, 8, 16],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "anneal_queue_depth",
    help: "Requests waiting for a generation slot",
    registers: [this.registry],
  });
  readonly running = new Gauge({
    name: "anneal_running_requests",
    help: "Generations in progress",
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "anneal_request_duration_seconds",
    help: "Time to the last byte",
    labelNames: ["endpoint"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: "anneal_time_to_first_token_seconds",
    help: "Time to the first streamed text",
    labelNames: ["endpoint"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
}
