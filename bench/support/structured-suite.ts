// The structured-output bench's cases: 30 JSON Schemas and 10 tool definitions of the shapes real
// applications send (nested objects, enums, arrays of objects, bounded numbers, optional fields, long
// strings), with the request each comes with.

export interface SchemaCase {
  name: string;
  prompt: string;
  schema: Record<string, unknown>;
}

export interface ToolCase {
  name: string;
  prompt: string;
  tool: { name: string; description: string; parameters: Record<string, unknown> };
}

const str = (maxLength?: number) => ({ type: "string", ...(maxLength ? { maxLength } : {}) });
const int = (minimum?: number, maximum?: number) => ({ type: "integer", minimum, maximum });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});
const list = (items: unknown, maxItems = 3, minItems = 0) => ({ type: "array", items, minItems, maxItems });

export const SCHEMA_CASES: SchemaCase[] = [
  {
    name: "sentiment",
    prompt: "Rate this review: 'Blazing fast and accurate.'",
    schema: obj({ sentiment: { enum: ["positive", "neutral", "negative"] }, confidence: int(0, 100) }),
  },
  {
    name: "person",
    prompt: "Ada Lovelace, mathematician, born 1815.",
    schema: obj({ name: str(40), profession: str(30), born: int(0, 2100) }),
  },
  {
    name: "address",
    prompt: "10 Downing Street, London SW1A 2AA, UK",
    schema: obj({ street: str(), city: str(30), postcode: str(10), country: str(2) }),
  },
  {
    name: "todo",
    prompt: "Add a task: buy milk tomorrow, high priority.",
    schema: obj({
      title: str(60),
      due: str(20),
      priority: { enum: ["low", "medium", "high"] },
      done: { type: "boolean" },
    }),
  },
  {
    name: "product",
    prompt: "A blue cotton t-shirt for 19 euros, sizes S to XL.",
    schema: obj({
      name: str(40),
      color: str(15),
      price: int(0, 10000),
      sizes: list({ enum: ["XS", "S", "M", "L", "XL"] }, 5),
    }),
  },
  {
    name: "event",
    prompt: "Team meeting on Monday at 10 in room 4.",
    schema: obj({
      title: str(40),
      day: { enum: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] },
      hour: int(0, 23),
      room: int(1, 999),
    }),
  },
  {
    name: "classification",
    prompt: "Classify: 'My package never arrived.'",
    schema: obj({ category: { enum: ["billing", "shipping", "technical", "other"] }, urgent: { type: "boolean" } }),
  },
  {
    name: "entities",
    prompt: "Extract entities: 'Marie Curie worked in Paris.'",
    schema: obj({ people: list(str(30)), places: list(str(30)) }),
  },
  {
    name: "recipe",
    prompt: "A pancake recipe.",
    schema: obj({
      title: str(40),
      servings: int(1, 20),
      ingredients: list(obj({ item: str(20), grams: int(0, 5000) }), 4, 1),
      steps: list(str(80), 4, 1),
    }),
  },
  {
    name: "translation",
    prompt: "Translate 'good morning' to French.",
    schema: obj({ source: str(40), target: str(40), language: { enum: ["fr", "de", "es", "it"] } }),
  },
  {
    name: "bug report",
    prompt: "The app crashes when I click save on Android 14.",
    schema: obj({
      summary: str(80),
      platform: { enum: ["android", "ios", "web", "desktop"] },
      severity: int(1, 5),
      steps: list(str(60), 3),
    }),
  },
  {
    name: "invoice line",
    prompt: "3 widgets at 4 dollars each.",
    schema: obj({ description: str(40), quantity: int(1, 1000), unit_cents: int(0, 1000000) }),
  },
  {
    name: "weather",
    prompt: "Sunny, 24 degrees, light wind in Madrid.",
    schema: obj({
      city: str(30),
      condition: { enum: ["sunny", "cloudy", "rain", "snow"] },
      celsius: int(-60, 60),
      wind: { enum: ["calm", "light", "strong"] },
    }),
  },
  {
    name: "book",
    prompt: "Dune by Frank Herbert, 1965, science fiction.",
    schema: obj({ title: str(60), author: str(40), year: int(1000, 2100), genres: list(str(20), 3, 1) }),
  },
  {
    name: "color",
    prompt: "The colour of the sky at noon.",
    schema: obj({ name: str(20), hex: str(7), rgb: list(int(0, 255), 3, 3) }),
  },
  { name: "yes/no", prompt: "Is water wet?", schema: obj({ answer: { type: "boolean" }, reason: str(80) }) },
  {
    name: "rating",
    prompt: "Rate the movie Inception.",
    schema: obj({ stars: int(1, 5), would_recommend: { type: "boolean" } }),
  },
  {
    name: "contact",
    prompt: "Call Bob at 555-1234 or mail bob@example.com.",
    schema: obj({ name: str(30), phone: str(15), email: str(40) }),
  },
  {
    name: "nested config",
    prompt: "Server on port 8080 with TLS and 4 workers.",
    schema: obj({
      server: obj({ port: int(1, 65535), tls: { type: "boolean" } }),
      workers: int(1, 64),
      log: { enum: ["debug", "info", "warn", "error"] },
    }),
  },
  {
    name: "quiz",
    prompt: "A multiple-choice question about the capital of Italy.",
    schema: obj({ question: str(80), choices: list(str(20), 4, 4), answer: int(0, 3) }),
  },
  {
    name: "optional fields",
    prompt: "A user named Kim.",
    schema: obj({ name: str(30), nickname: str(20), age: int(0, 130) }, ["name"]),
  },
  {
    name: "tags",
    prompt: "Tag this post: 'Rust async runtimes compared'.",
    schema: obj({ tags: list(str(15), 5, 1) }),
  },
  {
    name: "coordinates",
    prompt: "Where is the Eiffel Tower?",
    schema: obj({
      place: str(40),
      lat_millionths: int(-90000000, 90000000),
      lon_millionths: int(-180000000, 180000000),
    }),
  },
  {
    name: "summary",
    prompt: "Summarise: diffusion models write all tokens at once and refine them.",
    schema: obj({ summary: str(), keywords: list(str(15), 3) }),
  },
  {
    name: "api error",
    prompt: "Describe a 404 error for a missing user.",
    schema: obj({ status: int(100, 599), code: str(30), message: str(80) }),
  },
  {
    name: "schedule",
    prompt: "Gym on Monday and Thursday at 7.",
    schema: obj({
      sessions: list(obj({ day: { enum: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] }, hour: int(0, 23) }), 3, 1),
    }),
  },
  {
    name: "anyOf status",
    prompt: "Is the build passing?",
    schema: obj({ status: { anyOf: [{ const: "passing" }, { const: "failing" }, { type: "null" }] } }),
  },
  {
    name: "refs",
    prompt: "Two employees and their managers.",
    schema: {
      $defs: { person: obj({ name: str(20), title: str(20) }) },
      ...obj({ employees: list({ $ref: "#/$defs/person" }, 2, 2) }),
    },
  },
  {
    name: "long text",
    prompt: "Write a short paragraph about the sea.",
    schema: obj({ title: str(40), paragraph: { type: "string", minLength: 20, maxLength: 200 } }),
  },
  { name: "matrix", prompt: "A 2 by 2 identity matrix.", schema: obj({ rows: list(list(int(-9, 9), 2, 2), 2, 2) }) },
];

export const TOOL_CASES: ToolCase[] = [
  {
    name: "get_weather",
    prompt: "What's the weather in Oslo?",
    tool: {
      name: "get_weather",
      description: "Current weather for a city.",
      parameters: obj({ city: str(30), unit: { enum: ["celsius", "fahrenheit"] } }),
    },
  },
  {
    name: "search_web",
    prompt: "Find the latest news on fusion energy.",
    tool: {
      name: "search_web",
      description: "Search the web.",
      parameters: obj({ query: str(80), max_results: int(1, 20) }),
    },
  },
  {
    name: "send_email",
    prompt: "Email Ana that the meeting moved to 3pm.",
    tool: {
      name: "send_email",
      description: "Send an email.",
      parameters: obj({ to: str(40), subject: str(60), body: str() }),
    },
  },
  {
    name: "create_event",
    prompt: "Book a dentist appointment on the 12th at 9.",
    tool: {
      name: "create_event",
      description: "Add a calendar event.",
      parameters: obj({ title: str(40), day: int(1, 31), hour: int(0, 23), minutes: int(5, 480) }),
    },
  },
  {
    name: "convert_currency",
    prompt: "How much is 50 euros in yen?",
    tool: {
      name: "convert_currency",
      description: "Convert between currencies.",
      parameters: obj({
        amount: int(0, 1000000000),
        from: { enum: ["EUR", "USD", "JPY", "GBP"] },
        to: { enum: ["EUR", "USD", "JPY", "GBP"] },
      }),
    },
  },
  {
    name: "run_sql",
    prompt: "How many users signed up today?",
    tool: {
      name: "run_sql",
      description: "Run a read-only SQL query.",
      parameters: obj({ query: str(), limit: int(1, 1000) }),
    },
  },
  {
    name: "set_thermostat",
    prompt: "Make it 21 degrees in the living room.",
    tool: {
      name: "set_thermostat",
      description: "Set a room's temperature.",
      parameters: obj({ room: { enum: ["living", "bedroom", "kitchen", "office"] }, celsius: int(10, 30) }),
    },
  },
  {
    name: "add_todo",
    prompt: "Remind me to water the plants.",
    tool: {
      name: "add_todo",
      description: "Add items to the todo list.",
      parameters: obj({ items: list(obj({ text: str(40), priority: int(1, 3) }), 3, 1) }),
    },
  },
  {
    name: "translate",
    prompt: "Translate 'thank you' into German.",
    tool: {
      name: "translate",
      description: "Translate text.",
      parameters: obj({ text: str(60), target: { enum: ["de", "fr", "es", "ja"] } }),
    },
  },
  {
    name: "get_stock_price",
    prompt: "What is Apple trading at?",
    tool: {
      name: "get_stock_price",
      description: "A stock's last price.",
      parameters: obj({ ticker: str(5), exchange: { enum: ["NASDAQ", "NYSE", "LSE"] } }),
    },
  },
];
