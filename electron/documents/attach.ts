import type { Store } from "../../db/index";
import type { DocumentInfo } from "../../db/types";
import {
  MAX_CONVERSATION_DOCUMENT_BYTES,
  MAX_CONVERSATION_DOCUMENTS,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NAME_CHARS,
  type AttachDocumentRequest,
} from "../api/contract";
import { ApiError } from "../api/errors";
import { extractText } from "./extract";
import { refuse } from "./refuse";

// Control characters, and the bidirectional overrides that make a name display as something it is not
// ("invoice\u202Efdp.exe").
const FORBIDDEN_NAME_CHARS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** A file name as given, if it is only a name: no folders, no control characters. */
export function checkName(name: string): string {
  const shown = JSON.stringify(name.slice(0, MAX_DOCUMENT_NAME_CHARS));
  if (name.trim() === "") throw new ApiError("bad_request", "A document needs a file name.");
  if (name.length > MAX_DOCUMENT_NAME_CHARS) {
    throw new ApiError("bad_request", `The file name ${shown}… is longer than ${MAX_DOCUMENT_NAME_CHARS} characters.`);
  }
  if (/[/\\]/.test(name) || name === "." || name === "..") {
    throw new ApiError("bad_request", `The file name ${shown} holds a path: give the file's name only, without folders.`);
  }
  if (FORBIDDEN_NAME_CHARS.test(name)) {
    throw new ApiError("bad_request", `The file name ${shown} holds control characters; rename the file and attach it again.`);
  }
  return name;
}

/** The file's bytes, checked for size before they are decoded. */
function decodeContent(name: string, contentBase64: string): Buffer {
  if (contentBase64.length % 4 !== 0 || !BASE64.test(contentBase64)) {
    throw new ApiError("bad_request", `The content of "${name}" is not valid base64.`);
  }
  const padding = contentBase64.endsWith("==") ? 2 : contentBase64.endsWith("=") ? 1 : 0;
  const bytes = (contentBase64.length / 4) * 3 - padding;
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new ApiError("payload_too_large", `"${name}" is ${megabytes(bytes)}: a document may have at most ${megabytes(MAX_DOCUMENT_BYTES)}.`);
  }
  return Buffer.from(contentBase64, "base64");
}

function checkConversationLimits(store: Store, conversationId: string, name: string, bytes: number): void {
  const totals = store.documentTotals(conversationId);
  if (totals.documents >= MAX_CONVERSATION_DOCUMENTS) {
    throw refuse(name, `the conversation has ${totals.documents} documents, the most it may have.`);
  }
  if (totals.bytes + bytes > MAX_CONVERSATION_DOCUMENT_BYTES) {
    throw new ApiError(
      "payload_too_large",
      `"${name}" cannot be attached: the conversation's documents would pass ${megabytes(MAX_CONVERSATION_DOCUMENT_BYTES)} in all. Remove some, or start another conversation.`,
    );
  }
}

/**
 * Attaches a file to a conversation: checks the name, the size and the conversation's limits, takes
 * the text out, and stores document and chunks in one transaction. Every refusal comes before that
 * transaction, so a bad file leaves nothing behind.
 */
export async function attachDocument(store: Store, request: AttachDocumentRequest): Promise<DocumentInfo> {
  const name = checkName(request.name);
  store.getConversation(request.conversationId);
  const bytes = decodeContent(name, request.contentBase64);
  checkConversationLimits(store, request.conversationId, name, bytes.length);
  const text = await extractText(name, request.mediaType, bytes);
  // Extraction is asynchronous (PDF): checked again, in the same synchronous step as the insert,
  // against what was attached meanwhile.
  checkConversationLimits(store, request.conversationId, name, bytes.length);
  return store.addDocument({ conversationId: request.conversationId, name, mediaType: request.mediaType, bytes: bytes.length, text });
}
