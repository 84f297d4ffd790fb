import { defaultModel } from "../../electron/engine/modelCatalog";
import { fetchModel } from "../../electron/engine/modelFetch";

/** The test model's path; `npm test` fetches it first (pretest), so this is a cache hit. */
export async function testModelPath(): Promise<string> {
  return (await fetchModel(defaultModel)).path;
}
