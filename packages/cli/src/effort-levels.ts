// The reasoning effort levels, from the wire contract (one source of truth for flags, profiles and /effort).
import { ReasoningEffortSchema } from "@anneal/sdk/schema";

export const EFFORT_LEVELS = ReasoningEffortSchema.options;
