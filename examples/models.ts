// Models: the whole catalogue and the per-endpoint lists.
import { Mercury, NotFoundError } from "@anneal/sdk";

const client = new Mercury();
for (const model of (await client.models.list()).data) {
  console.log(
    `${model.id}: context ${model.context_length ?? "?"}, features ${model.supported_features?.join(", ") || "-"}`,
  );
}
try {
  const edit = await client.models.listEdit();
  console.log(`edit models: ${edit.data.map((model) => model.id).join(", ")}`);
} catch (error) {
  // A per-endpoint catalogue answers 404 when that endpoint is not enabled for the account.
  if (!(error instanceof NotFoundError)) throw error;
  console.log("edit models: not enabled");
}
