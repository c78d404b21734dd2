// The stats panel's reading of /metrics: Prometheus text to totals, totals to rates.
import { describe, expect, it } from "vitest";
import { parseMetrics } from "../src/api/prometheus";
import { snapshotOf, ThroughputSeries } from "../src/stats/throughput";

const exposition = `# HELP anneal_generated_tokens_total Answer tokens generated
# TYPE anneal_generated_tokens_total counter
anneal_generated_tokens_total{model="a"} 120
anneal_generated_tokens_total{model="b {odd} \\"quoted\\""} 30
anneal_forward_passes_total{model="a"} 40
anneal_running_requests 2
anneal_queue_depth 1
anneal_requests_total{endpoint="/v1/chat/completions",status="200"} 5
anneal_requests_total{endpoint="/health",status="200"} 3
anneal_request_duration_seconds_bucket{le="+Inf",endpoint="x"} 4
not a metric line
broken_value{a="b"} NaNx
`;

describe("parseMetrics", () => {
  it("sums each metric over its labels, including label values with spaces, braces and quotes", () => {
    const totals = parseMetrics(exposition);
    expect(totals.get("anneal_generated_tokens_total")).toBe(150);
    expect(totals.get("anneal_requests_total")).toBe(8);
    expect(totals.get("anneal_running_requests")).toBe(2);
    expect(totals.get("anneal_request_duration_seconds_bucket")).toBe(4);
  });

  it("skips comments and lines that are not samples", () => {
    const totals = parseMetrics(exposition);
    expect(totals.has("not")).toBe(false);
    expect(totals.has("broken_value")).toBe(false);
    expect(totals.has("#")).toBe(false);
  });
});

describe("ThroughputSeries", () => {
  const reading = (generatedTokens: number, forwardPasses: number) =>
    snapshotOf(
      new Map([
        ["anneal_generated_tokens_total", generatedTokens],
        ["anneal_forward_passes_total", forwardPasses],
      ]),
    );

  it("turns successive counter readings into per-second rates", () => {
    const series = new ThroughputSeries();
    series.add(1_000, reading(100, 10));
    expect(series.points).toEqual([]);
    series.add(3_000, reading(300, 30));
    expect(series.points).toEqual([{ at: 3_000, tokensPerSecond: 100, forwardsPerSecond: 10 }]);
  });

  it("starts afresh when a counter goes backwards (the server restarted)", () => {
    const series = new ThroughputSeries();
    series.add(1_000, reading(100, 10));
    series.add(2_000, reading(200, 20));
    series.add(3_000, reading(5, 1));
    expect(series.points).toEqual([]);
    series.add(4_000, reading(15, 2));
    expect(series.points).toHaveLength(1);
  });

  it("keeps only the last points up to its capacity", () => {
    const series = new ThroughputSeries(3);
    for (let i = 0; i < 10; i++) series.add(i * 1000, reading(i * 10, i));
    expect(series.points.map((point) => point.at)).toEqual([7000, 8000, 9000]);
  });
});
