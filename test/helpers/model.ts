import { defaultModel, secondArchitectureModel, type CatalogModel } from "../../electron/engine/modelCatalog";
import { fetchModel } from "../../electron/engine/modelFetch";

/** A test model's path; `npm test` fetches both first (pretest), so this is a cache hit. */
export async function testModelPath(model: CatalogModel = defaultModel): Promise<string> {
  return (await fetchModel(model)).path;
}

/** The two architectures every exactness claim is tested on: the chat default, then Gemma 3 (base). */
export const exactnessModels = [
  { name: "SmolLM2-135M-Instruct", model: defaultModel },
  { name: "Gemma 3 270M (base)", model: secondArchitectureModel },
] as const;
