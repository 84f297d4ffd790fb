import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Engine, EngineChat } from "../engine/engine";

/**
 * Evaluated states of conversations on disk, so that a conversation that left the in-memory cache
 * (or the previous run) continues without re-reading its history. Measured on the test model, 2,000
 * tokens of history: saving takes 6 ms (14 MB), loading 4 ms, where re-reading took 2.5 s on an idle
 * core and 10 s on a busy one.
 *
 * A state holds the conversation's tokens, so it is deleted with the conversation, and readable by
 * the user only. Only the most recent `capacity` files are kept, which bounds the disk used (a full
 * 4,096-token context is about 28 MB for the default model). A file is named by hashes of the model
 * and of the conversation id, never by the id itself: an id comes from outside (an import), and no
 * id can then name a file anywhere else.
 */
/** What a save is written to before it is complete and renamed. */
const partial = ".partial";

const hash = (text: string) => createHash("sha256").update(text).digest("hex");

/** The conversation's part of a file name: hex digits only, whatever the id is. */
const keyName = (key: string) => hash(key).slice(0, 32);

/** Every name this class writes (`partial` saves aside): model hash, then conversation hash. */
const ownName = /^[0-9a-f]{16}-[0-9a-f]{32}\.state$/;

export class StateFiles {
  /**
   * States an earlier version saved under the conversation id itself cannot be found again (nor
   * deleted with their conversation), so they are removed here, as are saves a crash cut short.
   */
  constructor(
    private readonly dir: string,
    private readonly capacity = 8,
  ) {
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir)) {
      if ((name.endsWith(".state") || name.endsWith(`.state${partial}`)) && !ownName.test(name)) {
        fs.rmSync(path.join(dir, name), { force: true });
      }
    }
  }

  /** Saves the chat's state under `key`; a failure costs only the speed-up, so it is not an error. */
  async save(engine: Engine, key: string, chat: EngineChat): Promise<void> {
    if (chat.sequence.contextTokens.length === 0) return;
    try {
      this.makeDir();
      const file = this.file(engine, key);
      await chat.sequence.saveStateToFile(`${file}${partial}`);
      fs.chmodSync(`${file}${partial}`, 0o600);
      fs.renameSync(`${file}${partial}`, file);
      this.prune();
    } catch (error) {
      console.warn(`Could not save the state of conversation ${key}: ${(error as Error).message}`);
    }
  }

  /** Loads the state saved under `key` into a fresh chat; false when there is none (or it is unusable). */
  async load(engine: Engine, key: string, chat: EngineChat): Promise<boolean> {
    const file = this.file(engine, key);
    if (!fs.existsSync(file)) return false;
    try {
      // The file name carries the model's identity: a state is only ever loaded into the model that wrote it.
      await chat.loadState(file);
      fs.utimesSync(file, new Date(), new Date());
      return true;
    } catch (error) {
      console.warn(`Could not load the saved state of conversation ${key}: ${(error as Error).message}`);
      fs.rmSync(file, { force: true });
      return false;
    }
  }

  /** Whether a state of the conversation is saved for this engine's model. */
  has(engine: Engine, key: string): boolean {
    return fs.existsSync(this.file(engine, key));
  }

  /**
   * Writes the chat's state aside for another chat to start from (`loadCopy`), while its context
   * may still go to someone else; null when it could not be written (only the speed-up is lost). A
   * copy a crash leaves behind is removed at the next start, as a cut-short save is.
   */
  async saveCopy(chat: EngineChat): Promise<string | null> {
    const file = path.join(this.dir, `copy-${randomUUID()}.state${partial}`);
    try {
      this.makeDir();
      await chat.sequence.saveStateToFile(file);
      fs.chmodSync(file, 0o600);
      return file;
    } catch (error) {
      console.warn(`Could not copy an evaluated state: ${(error as Error).message}`);
      fs.rmSync(file, { force: true });
      return null;
    }
  }

  /**
   * Loads a `saveCopy` into a fresh chat and keeps its first `tokens` only; the copy is deleted
   * either way. False (and the chat left empty) when it could not be loaded.
   */
  async loadCopy(file: string, chat: EngineChat, tokens: number): Promise<boolean> {
    try {
      await chat.startFromCopy(file, tokens);
      return true;
    } catch (error) {
      console.warn(`Could not load a copied state: ${(error as Error).message}`);
      await chat.clear();
      return false;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** Deletes every state of the conversation, for every model, a save cut short by a crash too. */
  delete(key: string): void {
    if (!fs.existsSync(this.dir)) return;
    const ending = `-${keyName(key)}.state`;
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(ending) || name.endsWith(`${ending}${partial}`)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  /** The folder, readable by the user only (states hold conversations' tokens). */
  private makeDir(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
  }

  private file(engine: Engine, key: string): string {
    const { size, mtimeMs } = fs.statSync(engine.modelPath);
    const model = hash(`${engine.modelPath}\0${size}\0${mtimeMs}`).slice(0, 16);
    return path.join(this.dir, `${model}-${keyName(key)}.state`);
  }

  private prune(): void {
    const files = fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith(".state"))
      .map((name) => ({ name, mtime: fs.statSync(path.join(this.dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { name } of files.slice(this.capacity)) fs.rmSync(path.join(this.dir, name), { force: true });
  }
}
