// The server's live throughput: /metrics read every second (with the page's key, if any),
// answer tokens and forward passes per second charted, running and queued requests shown.
import { useEffect, useRef, useState } from "preact/hooks";
import { metricsUrl } from "../api/connection";
import { parseMetrics } from "../api/prometheus";
import { Sparkline } from "./sparkline";
import { type ServerSnapshot, snapshotOf, type ThroughputPoint, ThroughputSeries } from "./throughput";

const POLL_MS = 1000;

export function StatsPanel(props: { apiKey: string | undefined }) {
  const series = useRef(new ThroughputSeries());
  const [points, setPoints] = useState<readonly ThroughputPoint[]>([]);
  const [snapshot, setSnapshot] = useState<ServerSnapshot | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch(metricsUrl(), {
          headers: props.apiKey ? { authorization: `Bearer ${props.apiKey}` } : {},
        });
        if (!response.ok)
          throw new Error(response.status === 401 ? "metrics need the API key" : `metrics: ${response.status}`);
        const next = snapshotOf(parseMetrics(await response.text()));
        if (stopped) return;
        series.current.add(Date.now(), next);
        setSnapshot(next);
        setPoints(series.current.points);
        setProblem(undefined);
      } catch (error) {
        if (!stopped) setProblem((error as Error).message);
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [props.apiKey]);

  const latest = points[points.length - 1];
  return (
    <aside class="stats-panel" aria-label="Server">
      <h2>Server</h2>
      {problem ? <p class="muted">{problem}</p> : null}
      <dl>
        <dt>answer tokens/s</dt>
        <dd data-stat="tokens-per-second">{latest ? latest.tokensPerSecond.toFixed(1) : "–"}</dd>
        <dt>forwards/s</dt>
        <dd>{latest ? latest.forwardsPerSecond.toFixed(1) : "–"}</dd>
        <dt>running</dt>
        <dd data-stat="running">{snapshot?.running ?? "–"}</dd>
        <dt>queued</dt>
        <dd>{snapshot?.queued ?? "–"}</dd>
        <dt>tokens generated</dt>
        <dd>{snapshot?.generatedTokens ?? "–"}</dd>
      </dl>
      <Sparkline
        values={points.map((point) => point.tokensPerSecond)}
        label="answer tokens per second, last two minutes"
      />
    </aside>
  );
}
