// Reads the recorded responses in test/fixtures.
import { readFileSync } from "node:fs";

const FIXTURES = new URL("../fixtures/", import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

export function fixtureJSON<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}
