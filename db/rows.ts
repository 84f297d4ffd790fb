import type { Conversation, ConversationSettings, Message, MessageStats, MessageStatus, Role } from "./types.js";

export interface ConversationRow {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  model: string | null;
  settings: string;
  pinned: number;
  active_root_id: string | null;
}

export interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  parent_id: string | null;
  active_child_id: string | null;
  role: Role;
  content: string;
  thought: string;
  status: MessageStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
  model: string | null;
  stats: string | null;
  question_hash: number | null;
}

export function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    model: row.model,
    settings: JSON.parse(row.settings) as ConversationSettings,
    pinned: row.pinned === 1,
    activeRootId: row.active_root_id,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    activeChildId: row.active_child_id,
    role: row.role,
    content: row.content,
    thought: row.thought,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    model: row.model,
    stats: row.stats === null ? null : (JSON.parse(row.stats) as MessageStats),
  };
}
