/**
 * Reload or Stop: `useChat` closes the request in both cases and sends nothing else on Stop, so a
 * closed request *releases* its reply, and the store decides what follows
 * (supabase/migrations/20261207000120_reply_release.sql):
 *
 * - a request streaming a reply in progress that closes before the reply ends (the one that started
 *   it, or a resumed one) records the reply released (public.release_reply);
 * - a resume (GET chat/<id>/stream) from any instance records it resumed (public.resume_reply);
 * - the writer, once its own request is gone, reads the marks every poll (public.reply_release_state):
 *   while the reply is released it reads nothing more from the model (so nothing more is stored or
 *   shown); resumed, it goes on; released for the grace period with no resume, it ends as a Stop.
 *
 * One statement per round trip, no session state and no LISTEN: it works across instances and
 * through a transaction pooler.
 */
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import type { StoredReply } from "./stored_reply.ts";

/** Records a reply released: its request closed before the reply ended. Never throws. */
export async function releaseReply(caller: Caller, reply: StoredReply): Promise<void> {
  try {
    await asCaller(caller, [sql`select public.release_reply(${reply.conversationId}, ${reply.sequence})`]);
  } catch (error) {
    // The writer ends it after the grace period anyway if the mark is lost; nothing to tell a closed request.
    console.error("chat: could not record a released reply", error);
  }
}

/** What the writer of a released reply decides at each poll. */
type Decision = "go_on" | "hold" | "stop" | "final";

async function decide(caller: Caller, reply: StoredReply, graceMs: number): Promise<Decision> {
  const [[state]] = await asCaller(caller, [
    sql`select s.status, s.released_seconds
        from public.reply_release_state(${reply.conversationId}, ${reply.sequence}) as s`,
  ]);
  if (state.status !== "in_progress") return "final";
  const released = state.released_seconds as number | null;
  if (released === null) return "go_on";
  return released * 1000 >= graceMs ? "stop" : "hold";
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The writer's side, from the moment its own request closed until the reply ends: `ready()` holds
 * the reading of the model while the reply is released, and `onStop` is called once when the
 * grace period ran out without a resume (reason `stopped`) or the reply was made final elsewhere.
 */
export class ReleaseWatch {
  private held = false;
  private waiting: Array<() => void> = [];
  private ended = false;

  constructor(
    private readonly caller: Caller,
    private readonly reply: StoredReply,
    private readonly settings: { graceMs: number; pollMs: number },
    private readonly onStop: (why: "stopped" | "final") => void,
  ) {}

  /** The writer's request closed: release the reply and watch it until `end()`. */
  start(): void {
    this.held = true;
    void this.watch();
  }

  /** Whether the reading of the model is held now (`ready()` waits). */
  get holding(): boolean {
    return this.held;
  }

  /** Resolves when the writer may read the model again (at once unless the reply is held). */
  ready(): Promise<void> {
    return this.held ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }

  /** The reply ended: stop watching and let anything waiting go. */
  end(): void {
    this.ended = true;
    this.setHeld(false);
  }

  private setHeld(held: boolean): void {
    this.held = held;
    if (!held) { for (const resolve of this.waiting.splice(0)) resolve(); }
  }

  private async watch(): Promise<void> {
    await releaseReply(this.caller, this.reply);
    while (!this.ended) {
      await pause(this.settings.pollMs);
      if (this.ended) return;
      let decision: Decision;
      try {
        decision = await decide(this.caller, this.reply, this.settings.graceMs);
      } catch (error) {
        console.error("chat: could not read whether a released reply was resumed", error);
        continue; // the database away for a moment: the next poll decides
      }
      if (decision === "stop" || decision === "final") {
        this.onStop(decision === "stop" ? "stopped" : "final");
        this.end();
        return;
      }
      this.setHeld(decision === "hold");
    }
  }
}

/**
 * A stream that follows a reply, which releases the reply when its reader goes away before the
 * stream ended (a Stop or a reload of a page that had resumed it).
 */
export function releasingOnCancel<T>(
  stream: ReadableStream<T>,
  signal: AbortSignal,
  release: () => Promise<void>,
): ReadableStream<T> {
  const reader = stream.getReader();
  let done = false;
  const gone = () => {
    if (done) return;
    done = true;
    void release();
  };
  signal.addEventListener("abort", gone, { once: true });
  return new ReadableStream<T>({
    async pull(controller) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        signal.removeEventListener("abort", gone);
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    async cancel(reason) {
      gone();
      await reader.cancel(reason);
    },
  });
}
