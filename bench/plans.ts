/**
 * The plans a request really runs, and what makes one flat.
 *
 * Plans are captured with auto_explain rather than by explaining copies of queries: it logs every
 * statement a request's query message runs, the plpgsql functions' nested ones included (get_context
 * and search_conversations hold their reads inside), as planned and executed, with the rows each
 * node read. `client_min_messages = log` hands those log lines to the session as notices.
 *
 * plpgsql plans a statement with the call's values for its first five runs in a session, then
 * may switch for good to a generic plan, made without them, which a pooled connection then uses
 * for every call. Capturing with `generic` forces those plans at once (plan_cache_mode), so that
 * both kinds are checked, whatever the heuristics would pick on a given day.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { requestText } from "../supabase/functions/_shared/sql.ts";
import { type Call, callStatements } from "./calls.ts";

export interface PlanNode {
  "Node Type": string;
  "Scan Direction"?: string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "CTE Name"?: string;
  "Function Name"?: string;
  "Index Cond"?: string;
  "Recheck Cond"?: string;
  Filter?: string;
  "Sort Key"?: string[];
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

export interface CapturedPlan {
  query: string;
  plan: PlanNode;
  /** Whether plpgsql ran its generic plans (force_generic_plan). */
  generic: boolean;
}

/**
 * A logged statement on one line, without the role-and-claims preamble that a request's statements
 * share (auto_explain logs the whole query message for each of them).
 */
export function statementText(query: string): string {
  return query.replace(/^select set_config\('role'.*?;/s, "").replace(/\s+/g, " ").trim();
}

/** Every node of a plan, depth first. */
export function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The rows a node produced over all its loops, plus those it read and threw away. */
function rowsRead(node: PlanNode): number {
  return (node["Actual Rows"] ?? 0) * (node["Actual Loops"] ?? 1) + (node["Rows Removed by Filter"] ?? 0) +
    (node["Rows Removed by Index Recheck"] ?? 0);
}

/** The store's tables, and which of them a node reads (an index scan names only its index). */
export const TABLES = ["conversations", "conversation_messages"];
function tableOf(node: PlanNode): string | undefined {
  const index = node["Index Name"] ?? "";
  if (node["Relation Name"]) return node["Relation Name"];
  if (index === "conversation_messages_pkey" || index.startsWith("idx_conversation_messages_")) {
    return "conversation_messages";
  }
  if (index === "conversations_pkey" || index.startsWith("idx_conversations_")) return "conversations";
  return undefined;
}

/**
 * Runs `call`'s query message once, in a transaction that is rolled back, and returns every plan
 * auto_explain logged for it; with `generic`, plpgsql's statements run their generic plans.
 */
export async function capturePlans(
  databaseUrl: string,
  call: Call,
  options: { generic?: boolean } = {},
): Promise<CapturedPlan[]> {
  const { caller, statements } = callStatements(call);
  const text = requestText(caller, statements);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const captured: CapturedPlan[] = [];
  let collecting = false;
  client.on("notice", (notice) => {
    const start = notice.message?.indexOf("{") ?? -1;
    if (!collecting || !notice.message?.startsWith("duration:") || start < 0) return;
    const logged = JSON.parse(notice.message.slice(start));
    captured.push({ query: logged["Query Text"], plan: logged.Plan, generic: options.generic ?? false });
  });
  try {
    await client.query(`
      load 'auto_explain';
      set auto_explain.log_min_duration = 0;
      set auto_explain.log_analyze = on;
      set auto_explain.log_timing = off;
      set auto_explain.log_nested_statements = on;
      set auto_explain.log_format = json;
      set plan_cache_mode = ${options.generic ? "force_generic_plan" : "auto"};
      set client_min_messages = log;`);
    await client.query("begin");
    collecting = true;
    await client.query(text);
    collecting = false;
    await client.query("rollback");
  } finally {
    await client.end();
  }
  return captured;
}

/** What a flat read may do: which indexes of the store's tables it may read, and how many rows at most. */
export interface Flatness {
  /** Indexes of conversation_messages the read may use. */
  messageIndexes: string[];
  /** Rows any one scan or sort of the store's tables may touch. */
  maxRows: number;
  /**
   * Scans of these indexes are not counted against maxRows: a GIN index is read as a bitmap of all
   * its entries for the keys asked (for search: the owner's entries), which the Limit above cannot stop.
   */
  unboundedBitmapIndexes?: string[];
  /** Text every Index Cond on these indexes must contain (search: the owner comes first). */
  indexCondMustName?: Record<string, string>;
}

/** Every way the captured plans break `flatness`, as readable lines (empty when they are flat). */
export function violations(plans: CapturedPlan[], flatness: Flatness): string[] {
  const found = new Set<string>();
  for (const { query, plan, generic } of plans) {
    for (const node of nodes(plan)) {
      const table = tableOf(node);
      const where = () =>
        `${describe(node)}\n    in${generic ? " (with generic plans)" : ""}: ${
          statementText(query).slice(0, 300)
        }`;
      if (node["Node Type"] === "Sort" && rowsRead(node) > flatness.maxRows) {
        found.add(`a Sort of ${rowsRead(node)} rows (more than ${flatness.maxRows}): ${where()}`);
      }
      if (!table || !TABLES.includes(table)) continue;
      if (node["Node Type"] === "Seq Scan" && table === "conversation_messages") {
        found.add(`a Seq Scan of messages: ${where()}`);
      }
      const index = node["Index Name"];
      if (table === "conversation_messages" && index && !flatness.messageIndexes.includes(index)) {
        found.add(`reads ${index}, not one of ${flatness.messageIndexes.join(", ")}: ${where()}`);
      }
      const mustName = index ? flatness.indexCondMustName?.[index] : undefined;
      if (mustName && !(node["Index Cond"] ?? "").includes(mustName)) {
        found.add(`reads ${index} without ${mustName} in its Index Cond: ${where()}`);
      }
      const exempt = index && node["Node Type"] === "Bitmap Index Scan" &&
        flatness.unboundedBitmapIndexes?.includes(index);
      if (!exempt && rowsRead(node) > flatness.maxRows) {
        found.add(`reads ${rowsRead(node)} rows (more than ${flatness.maxRows}): ${where()}`);
      }
    }
  }
  return [...found];
}

function describe(node: PlanNode): string {
  const on = node["Index Name"] ?? node["Relation Name"] ?? "";
  const condition = node["Index Cond"] ?? node["Recheck Cond"];
  return `${node["Node Type"]}${on ? ` on ${on}` : ""}${condition ? ` (${condition})` : ""}, ${
    rowsRead(node)
  } rows`;
}

/** The plans among `plans` that read the store's tables: the ones worth showing. */
export function storePlans(plans: CapturedPlan[]): CapturedPlan[] {
  return plans.filter(({ plan }) => nodes(plan).some((node) => TABLES.includes(tableOf(node) ?? "")));
}

/** A plan as indented lines, one per node: what it reads, by which condition, and how many rows it read. */
export function renderPlan(plan: PlanNode, depth = 0): string {
  const on = plan["Index Name"] ?? plan["Relation Name"] ?? plan["CTE Name"] ?? plan["Function Name"];
  const details = [
    plan["Scan Direction"] === "Backward" ? "backward" : undefined,
    plan["Index Cond"] ? `index cond ${plan["Index Cond"]}` : undefined,
    plan["Recheck Cond"] ? `recheck ${plan["Recheck Cond"]}` : undefined,
    plan.Filter ? `filter ${plan.Filter}` : undefined,
    plan["Sort Key"] ? `by ${plan["Sort Key"].join(", ")}` : undefined,
    plan["Actual Rows"] === undefined ? undefined : `read ${rowsRead(plan)}`,
  ].filter(Boolean);
  const line = `${"  ".repeat(depth)}${plan["Node Type"]}${on ? ` on ${on}` : ""}${
    details.length ? ` (${details.join("; ")})` : ""
  }`;
  return [line, ...(plan.Plans ?? []).map((child) => renderPlan(child, depth + 1))].join("\n");
}
