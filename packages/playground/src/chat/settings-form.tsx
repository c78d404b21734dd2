// The chat's settings: system prompt, reasoning effort, sampling, length, and how the canvas is shown.
import type { ReasoningEffort } from "@anneal/sdk";
import { type ChatSettings, EFFORTS } from "./chat-settings";

export function SettingsForm(props: {
  settings: ChatSettings;
  onChange(settings: ChatSettings): void;
  maxTokens?: number | undefined;
}) {
  const { settings } = props;
  const set = <K extends keyof ChatSettings>(key: K, value: ChatSettings[K]) =>
    props.onChange({ ...settings, [key]: value });
  const number = (event: Event) => Number((event.currentTarget as HTMLInputElement).value);
  return (
    <details class="settings">
      <summary>Settings</summary>
      <label class="wide">
        System prompt
        <textarea
          name="system-prompt"
          rows={2}
          value={settings.systemPrompt}
          onInput={(event) => set("systemPrompt", event.currentTarget.value)}
        />
      </label>
      <label>
        Reasoning effort
        <select
          name="effort"
          value={settings.effort}
          onChange={(event) => set("effort", event.currentTarget.value as ReasoningEffort)}
        >
          {EFFORTS.map((effort) => (
            <option key={effort} value={effort}>
              {effort}
            </option>
          ))}
        </select>
      </label>
      <label>
        Temperature {settings.temperature.toFixed(2)}
        <input
          name="temperature"
          type="range"
          min={0}
          max={2}
          step={0.05}
          value={settings.temperature}
          onInput={(event) => set("temperature", number(event))}
        />
      </label>
      <label>
        Top p {settings.topP.toFixed(2)}
        <input
          name="top-p"
          type="range"
          min={0.05}
          max={1}
          step={0.05}
          value={settings.topP}
          onInput={(event) => set("topP", number(event))}
        />
      </label>
      <label>
        Max tokens
        <input
          name="max-tokens"
          type="number"
          min={1}
          max={props.maxTokens}
          value={settings.maxTokens}
          onInput={(event) => set("maxTokens", Math.max(1, Math.floor(number(event)) || 1))}
        />
      </label>
      <label>
        Seed
        <input
          name="seed"
          type="text"
          inputMode="numeric"
          placeholder="none"
          value={settings.seed}
          onInput={(event) => set("seed", event.currentTarget.value)}
        />
      </label>
      <label class="check">
        <input
          name="live-canvas"
          type="checkbox"
          checked={settings.liveCanvas}
          onChange={(event) => set("liveCanvas", event.currentTarget.checked)}
        />
        Live canvas
      </label>
      <label class="check">
        <input
          name="shade"
          type="checkbox"
          checked={settings.shadeByConfidence}
          onChange={(event) => set("shadeByConfidence", event.currentTarget.checked)}
        />
        Shade by confidence
      </label>
      <label class="check">
        <input
          name="realtime"
          type="checkbox"
          checked={settings.realtime}
          onChange={(event) => set("realtime", event.currentTarget.checked)}
        />
        Realtime (smallest first block)
      </label>
    </details>
  );
}
