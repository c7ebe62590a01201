/**
 * The text of seeded conversations: deterministic, varied enough that search means something, and
 * counted with the tokenizer the edge functions use, so seeded token counts are what an append
 * through the API would have stored.
 *
 * A user or assistant message is two phrases, one from each of two tables of 1,000: a million
 * distinct texts of about 224 bytes. Every first phrase holds COMMON_WORD (so it is in every user and
 * assistant message), and 5 of the 1,000 second phrases hold RARE_WORD (so it is in 0.5 % of them).
 * Words are drawn with a skew towards the front of the vocabulary, as in real text.
 */
import { countText } from "../supabase/functions/_shared/token_counts.ts";

export const COMMON_WORD = "project";
export const RARE_WORD = "zeppelin";
export const PHRASES = 1000;
export const SYSTEM_PROMPTS = 20;
export const TOOL_CALLS = 1000;

const VOCABULARY = `
  deploy render video timeline review draft schedule budget invoice customer account password reset email
  database query index migration backup restore server cluster latency timeout error retry queue worker
  upload download image caption subtitle scene script storyboard voice music track export format codec
  frame resolution preview thumbnail publish channel audience comment reply message thread summary report
  chart table column filter sort search result ranking score model prompt token context window memory
  agent tool function call argument response request header cookie session login logout signup invite
  team member role permission policy access owner admin settings profile avatar theme language locale
  calendar meeting reminder deadline task ticket issue bug feature release version branch commit merge
  review test build pipeline deploy staging production rollback monitor alert dashboard metric log trace
  payment refund subscription plan trial discount coupon price tax receipt order shipping delivery address
  travel flight hotel booking itinerary passport visa airport train ticket luggage weather forecast
  recipe ingredient oven minutes dinner breakfast lunch salad pasta sauce garlic onion tomato cheese
  garden plant water soil seed flower tree sunlight season harvest compost fence path stone
  lesson course chapter quiz exam grade homework essay paragraph sentence grammar vocabulary translation
  contract clause signature lawyer agreement payment term renewal notice liability warranty
  doctor appointment symptom medicine dose pharmacy insurance claim coverage clinic hospital nurse
  running workout stretch muscle heart rate sleep hydration protein calories goal progress streak
  photo album camera lens light shadow color contrast crop filter edit layer mask brush canvas
  novel character plot scene dialogue ending chapter outline draft editor publisher cover blurb
  kitchen bathroom tile paint wall floor window door roof repair plumber electrician estimate
  question answer explain example detail option choice reason benefit risk tradeoff approach
  quickly carefully clearly simply usually always never often sometimes later today tomorrow yesterday
  large small fast slow simple complex new old first last next previous better worse cheaper
  check update create delete move copy share send open close start stop pause resume compare
`.trim().split(/\s+/);

const SENTENCE_OPENERS = [
  "Could you",
  "Please",
  "I need to",
  "Let us",
  "We should",
  "Can you help me",
  "The next step is to",
  "I would",
  "Remember to",
  "Here is how to",
];

const TOOL_NAMES = [
  "search_documents",
  "get_weather",
  "create_ticket",
  "lookup_order",
  "render_preview",
  "list_files",
  "run_query",
  "send_email",
];

/** mulberry32: a small seeded generator, so every run seeds the very same text. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function words(random: () => number, count: number): string[] {
  // Squaring skews the draw towards the front of the vocabulary: some words common, many rare.
  return Array.from({ length: count }, () => VOCABULARY[Math.floor(random() ** 2 * VOCABULARY.length)]);
}

function sentence(random: () => number, extra?: string): string {
  const body = words(random, 11 + Math.floor(random() * 7));
  if (extra) body.splice(Math.floor(random() * body.length), 0, extra);
  return `${SENTENCE_OPENERS[Math.floor(random() * SENTENCE_OPENERS.length)]} ${body.join(" ")}.`;
}

export interface Phrase {
  text: string;
  /** Tokens of the text as it appears in a message (the second phrase after a space). */
  tokens: number;
}

export interface ToolCallTemplate {
  id: string;
  name: string;
  arguments: string;
  /** Tokens of the call's name and arguments, as countMessageTokens counts an assistant's tool_calls. */
  callTokens: number;
  result: string;
  /** Tokens of the result and its tool_call_id, as countMessageTokens counts a tool message. */
  resultTokens: number;
}

export interface Corpus {
  first: Phrase[];
  second: Phrase[];
  systemPrompts: Phrase[];
  toolCalls: ToolCallTemplate[];
}

/** Every table of the corpus; the same on every call. */
export function corpus(): Corpus {
  const random = generator(13);
  const first = Array.from({ length: PHRASES }, () => {
    const text = sentence(random, COMMON_WORD);
    return { text, tokens: countText(text) };
  });
  const second = Array.from({ length: PHRASES }, (_, index) => {
    const text = sentence(random, index % (PHRASES / 5) === 0 ? RARE_WORD : undefined);
    return { text, tokens: countText(` ${text}`) };
  });
  const systemPrompts = Array.from({ length: SYSTEM_PROMPTS }, () => {
    const text = `You are a helpful assistant for a video production studio. ${sentence(random)} ${
      sentence(random)
    } Answer briefly and ask before you delete anything.`;
    return { text, tokens: countText(text) };
  });
  const toolCalls = Array.from({ length: TOOL_CALLS }, (_, index) => {
    const id = `call_${index.toString(36).padStart(4, "0")}${Math.floor(random() * 1e8).toString(36)}`;
    const name = TOOL_NAMES[index % TOOL_NAMES.length];
    const args = JSON.stringify({ query: words(random, 3).join(" "), limit: 5 });
    const result = JSON.stringify({ ok: true, items: words(random, 12), total: Math.floor(random() * 100) });
    return {
      id,
      name,
      arguments: args,
      callTokens: countText(name) + countText(args),
      result,
      resultTokens: countText(result) + countText(id),
    };
  });
  return { first, second, systemPrompts, toolCalls };
}
