/**
 * The AI SDK's chat, outside React, against the store's `chat` function (docs/use-chat.md):
 *
 *   const transport = new StoreChatTransport({ api: `${SUPABASE_URL}/functions/v1/chat`, token: () => session.access_token });
 *   const chat = new Chat({ id: conversationId, transport, onChange: render });
 *   await chat.sendMessage({ text: "Hello" });
 *
 * `Chat` is the `ai` package's own AbstractChat with a plain state (what @ai-sdk/react's useChat
 * keeps in React state). StoreChatTransport is DefaultChatTransport sending only the last message
 * (the function reads the rest from the store) and following the conversation into a fork after a
 * regenerate: the function answers a regenerate in a new conversation, whose id its stream carries
 * in the message metadata (`conversation_id`).
 */
import {
  AbstractChat,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  DefaultChatTransport,
  type UIMessage,
  type UIMessageChunk,
} from "ai";

class PlainChatState<Message extends UIMessage> implements ChatState<Message> {
  private current: ChatStatus = "ready";
  error: Error | undefined = undefined;

  constructor(public messages: Message[], private readonly onChange: () => void) {}

  get status(): ChatStatus {
    return this.current;
  }
  set status(status: ChatStatus) {
    this.current = status;
    this.onChange();
  }

  pushMessage = (message: Message) => {
    this.messages = [...this.messages, message];
    this.onChange();
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
    this.onChange();
  };
  replaceMessage = (index: number, message: Message) => {
    this.messages = this.messages.with(index, message);
    this.onChange();
  };
  snapshot = <T>(value: T): T => structuredClone(value);
}

export class Chat<Message extends UIMessage = UIMessage> extends AbstractChat<Message> {
  constructor({ messages, onChange, ...init }: ChatInit<Message> & { onChange?: () => void }) {
    const notify = () => onChange?.();
    super({ ...init, state: new PlainChatState(messages ?? [], notify) });
  }
}

export interface StoreChatTransportOptions {
  /** `${SUPABASE_URL}/functions/v1/chat` */
  api: string;
  /** The signed-in user's access token, read for every request (it is refreshed). */
  token: () => string | Promise<string>;
}

export class StoreChatTransport<Message extends UIMessage = UIMessage> extends DefaultChatTransport<Message> {
  /** The conversation the next request goes to: the chat's id until a regenerate forks it. */
  get conversationId(): string | undefined {
    return this.current.id;
  }

  private readonly current: { id?: string };

  constructor({ api, token }: StoreChatTransportOptions) {
    const current: { id?: string } = {};
    super({
      api,
      headers: async () => ({ authorization: `Bearer ${await token()}` }),
      prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => ({
        body: { id: current.id ?? id, messages: messages.slice(-1), trigger, messageId },
      }),
      prepareReconnectToStreamRequest: ({ id }) => ({
        api: `${api}/${encodeURIComponent(current.id ?? id)}/stream`,
      }),
    });
    this.current = current;
  }

  protected override processResponseStream(
    stream: ReadableStream<Uint8Array<ArrayBufferLike>>,
  ): ReadableStream<UIMessageChunk> {
    const current = this.current;
    return super.processResponseStream(stream).pipeThrough(
      new TransformStream<UIMessageChunk, UIMessageChunk>({
        transform(chunk, controller) {
          if (chunk.type === "start") {
            const id = (chunk.messageMetadata as { conversation_id?: unknown } | undefined)?.conversation_id;
            if (typeof id === "string") current.id = id;
          }
          controller.enqueue(chunk);
        },
      }),
    );
  }
}
