export { Store } from "./store.js";
export type { DeleteResult, FinishMessage, ListOptions, NewConversation, NewMessage, StoreOptions } from "./store.js";
export { keepAside } from "./open.js";
export type { OpenOptions } from "./open.js";
export type { SearchOptions, SimilarOptions } from "./search.js";
export { EXPORT_FORMAT, EXPORT_VERSION } from "./exportImport.js";
export type {
  ExportFile,
  ExportedConversation,
  ExportedDocument,
  ExportedMessage,
  ExportedSource,
  ImportOptions,
  ImportResult,
} from "./exportImport.js";
export type { NewDocument, RetrieveOptions, SourceRange } from "./documents.js";
export * from "./errors.js";
export type * from "./types.js";
