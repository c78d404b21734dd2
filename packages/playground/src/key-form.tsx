// The API key, asked for once and kept in this browser's local storage (it goes only to this server).
import { useState } from "preact/hooks";

export function KeyForm(props: {
  apiKey: string | undefined;
  open: boolean;
  onSave(key: string | undefined): void;
  onToggle(open: boolean): void;
}) {
  const [value, setValue] = useState(props.apiKey ?? "");
  if (!props.open) {
    return (
      <button type="button" name="api-key" class="link" onClick={() => props.onToggle(true)}>
        {props.apiKey ? "API key ✓" : "API key"}
      </button>
    );
  }
  return (
    <form
      class="key-form"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSave(value.trim() || undefined);
      }}
    >
      <input
        name="api-key-value"
        type="password"
        autocomplete="off"
        placeholder="this server's API key"
        value={value}
        onInput={(event) => setValue(event.currentTarget.value)}
      />
      <button type="submit" name="save-key">
        Save
      </button>
      <button type="button" class="link" onClick={() => props.onToggle(false)}>
        Cancel
      </button>
    </form>
  );
}
