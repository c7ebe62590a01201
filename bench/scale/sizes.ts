/** The size of every table and index of the store, and bytes per message. */
import { messagesHave, withClient } from "../seed.ts";

export interface Sizes {
  messages: number;
  conversations: number;
  averageContentBytes: number;
  /** Bytes of the parts JSON of the messages that have parts; null where none has. */
  averagePartsBytes: number | null;
  relations: Array<{ table: string; name: string; kind: "heap" | "toast" | "index"; bytes: number }>;
  bytesPerMessage: { heap: number; indexes: number; total: number; byRelation: Record<string, number> };
}

export async function sizes(url: string): Promise<Sizes> {
  return await withClient(url, async (client) => {
    // The schema as it shipped first (the index diet's "before") has no parts column.
    const withParts = await messagesHave(client, "parts");
    const { rows: [counts] } = await client.query(`
      select (select count(*) from public.conversation_messages)::bigint as messages,
             (select count(*) from public.conversations)::bigint as conversations,
             (select avg(octet_length(content)) from public.conversation_messages)::float8 as content,
             ${
      withParts ? "(select avg(octet_length(parts::text)) from public.conversation_messages)" : "null"
    }::float8 as parts`);
    const { rows } = await client.query(`
      select t.relname as table, t.relname as name, 'heap' as kind, pg_relation_size(t.oid) as bytes
      from pg_class t where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      union all
      select t.relname, 'toast', 'toast', pg_table_size(t.oid) - pg_relation_size(t.oid)
      from pg_class t where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      union all
      select t.relname, i.relname, 'index', pg_relation_size(i.oid)
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
      where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      order by 1, 3, 4 desc`);
    const relations = rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
    const messages = Number(counts.messages);
    const ofMessages = relations.filter((relation) => relation.table === "conversation_messages");
    const sum = (kinds: string[]) =>
      ofMessages.filter((relation) => kinds.includes(relation.kind)).reduce(
        (total, relation) => total + relation.bytes,
        0,
      );
    return {
      messages,
      conversations: Number(counts.conversations),
      averageContentBytes: counts.content,
      averagePartsBytes: counts.parts,
      relations,
      bytesPerMessage: {
        heap: sum(["heap", "toast"]) / messages,
        indexes: sum(["index"]) / messages,
        total: sum(["heap", "toast", "index"]) / messages,
        byRelation: Object.fromEntries(
          ofMessages.map((relation) => [relation.name, relation.bytes / messages]),
        ),
      },
    };
  });
}
