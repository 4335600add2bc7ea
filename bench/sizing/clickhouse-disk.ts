/**
 * ClickHouse disk per stored row, from `system.parts` (active parts) of the store's database (`store.database`) after the benches'
 * inserts, once as inserted and once after `OPTIMIZE TABLE … FINAL` (one part per partition, as background merges
 * leave a table that has settled).
 */
import type { ClickHouseStore } from '../../src/store/clickhouse-store.js';

/** One table's active parts. */
export interface TableDisk {
  table: string;
  rows: number;
  bytesOnDisk: number;
  /** The columns' bytes before compression (how much the traffic's repetition helped). */
  uncompressedBytes: number;
  parts: number;
}

async function parts(store: ClickHouseStore, database: string): Promise<TableDisk[]> {
  const rs = await store.client.query({
    query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytesOnDisk, sum(data_uncompressed_bytes) AS uncompressedBytes, count() AS parts
            FROM system.parts WHERE active AND database = {database:String} GROUP BY table ORDER BY table`,
    query_params: { database },
    format: 'JSONEachRow',
  });
  const raw = await rs.json<Record<string, string | number>>();
  return raw.map((r) => ({ table: String(r.table), rows: Number(r.rows), bytesOnDisk: Number(r.bytesOnDisk), uncompressedBytes: Number(r.uncompressedBytes), parts: Number(r.parts) }));
}

/** The store's tables on disk as inserted, then merged. */
export async function clickHouseDisk(store: ClickHouseStore, database: string): Promise<{ inserted: TableDisk[]; merged: TableDisk[] }> {
  const inserted = await parts(store, database);
  for (const t of inserted) await store.client.command({ query: `OPTIMIZE TABLE ${database}.${t.table} FINAL` });
  return { inserted, merged: await parts(store, database) };
}
