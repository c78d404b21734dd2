// One line for the user from whatever a request threw: the server's own message where it sent one.
import { AuthenticationError } from "@anneal/sdk";

export function errorText(error: unknown): string {
  if (error instanceof AuthenticationError) return `${error.message} Set the API key (top right).`;
  return error instanceof Error ? error.message : String(error);
}

export function isAuthError(error: unknown): boolean {
  return error instanceof AuthenticationError;
}
