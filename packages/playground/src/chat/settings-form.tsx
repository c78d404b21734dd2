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
      <Range
        name="temperature"
        label="Temperature"
        min={0}
        max={2}
        value={settings.temperature}
        onInput={(value) => set("temperature", value)}
      />
      <Range
        name="top-p"
        label="Top p"
        min={0.05}
        max={1}
        value={settings.topP}
        onInput={(value) => set("topP", value)}
      />
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
      <Check
        name="live-canvas"
        label="Live canvas"
        checked={settings.liveCanvas}
        onChange={(on) => set("liveCanvas", on)}
      />
      <Check
        name="shade"
        label="Shade by confidence"
        checked={settings.shadeByConfidence}
        onChange={(on) => set("shadeByConfidence", on)}
      />
      <Check
        name="realtime"
        label="Realtime (smallest first block)"
        checked={settings.realtime}
        onChange={(on) => set("realtime", on)}
      />
    </details>
  );
}

/** A labelled checkbox. */
function Check(props: { name: string; label: string; checked: boolean; onChange(checked: boolean): void }) {
  return (
    <label class="check">
      <input
        name={props.name}
        type="checkbox"
        checked={props.checked}
        onChange={(event) => props.onChange(event.currentTarget.checked)}
      />
      {props.label}
    </label>
  );
}

/** A labelled slider in steps of 0.05, its value shown beside the label. */
function Range(props: {
  name: string;
  label: string;
  min: number;
  max: number;
  value: number;
  onInput(value: number): void;
}) {
  return (
    <label>
      {props.label} {props.value.toFixed(2)}
      <input
        name={props.name}
        type="range"
        min={props.min}
        max={props.max}
        step={0.05}
        value={props.value}
        onInput={(event) => props.onInput(Number(event.currentTarget.value))}
      />
    </label>
  );
}
