// Child process: opens an embedded ClickHouse data directory, runs the SQL statements given as a JSON array in
// argv[3], prints their JSONEachRow results as one JSON array. Tests use it to read a data directory a collector
// child process wrote (chDB holds one data directory per process).
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client = createClient({ connection: createChdbConnection({ path: process.argv[2]! }) as unknown as Conn });
const out: unknown[] = [];
for (const query of JSON.parse(process.argv[3]!) as string[]) {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  out.push(await rs.json());
}
await client.close();
process.stdout.write(JSON.stringify(out));
