/**
 * Batches parked on disk while ClickHouse cannot take them (with the write-ahead log on): instead of holding rows in
 * memory until the writer's queue is full and receivers must refuse, a table's pending rows go to a spill file once
 * they reach a batch's size while an insert is stuck, and come back, oldest first, as batches when inserts succeed.
 * The files are a cache of what the log already holds: on start they are deleted and recovery rebuilds from the log.
 */
import { appendFileSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

import type { SpillBudget } from '../durability/spill-budget.js';

/** One spilled chunk: where it is in the file, and the write keys and rows it holds. */
interface Chunk {
  offset: number;
  length: number;
  keys: string[];
  rows: number;
}

/** What `shift` returns: one chunk's lines (row-format.ts), keys and row count. */
export interface SpilledBatch {
  body: Buffer;
  keys: string[];
  rows: number;
}

/** A FIFO of row chunks in one append-only file per table. */
export class SpillQueue {
  private readonly path: string;
  private readonly chunks: Chunk[] = [];
  private end = 0;
  private pendingRows = 0;

  constructor(
    dir: string,
    table: string,
    private readonly budget: SpillBudget,
  ) {
    this.path = join(dir, `${table}.spill`);
  }

  /** Empties (creates) the spill directory: leftovers of an earlier process are rebuilt from the log instead. */
  static reset(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** Chunks waiting. */
  get size(): number {
    return this.chunks.length;
  }

  /** Rows waiting. */
  get rows(): number {
    return this.pendingRows;
  }

  /** Appends a chunk (synchronously: the rows leave memory at once); false when the budget would be passed. */
  push(body: Buffer, keys: string[], rows: number): boolean {
    if (this.budget.used + body.length > this.budget.max) return false;
    appendFileSync(this.path, body);
    this.chunks.push({ offset: this.end, length: body.length, keys, rows });
    this.end += body.length;
    this.budget.used += body.length;
    this.pendingRows += rows;
    return true;
  }

  /** Takes the oldest chunk back from disk (null when none); the file is removed once nothing in it is left. */
  async shift(): Promise<SpilledBatch | null> {
    const c = this.chunks.shift();
    if (c === undefined) return null;
    this.pendingRows -= c.rows;
    const fh = await open(this.path, 'r');
    const body = Buffer.alloc(c.length);
    try {
      let got = 0;
      while (got < c.length) {
        const { bytesRead } = await fh.read(body, got, c.length - got, c.offset + got);
        if (bytesRead === 0) throw new Error(`spill file ${this.path} ends before its chunk at ${c.offset}`);
        got += bytesRead;
      }
    } finally {
      await fh.close();
    }
    this.budget.used -= c.length;
    // Chunks pushed while this read was pending keep the file.
    if (this.chunks.length === 0) {
      unlinkSync(this.path);
      this.end = 0;
    }
    return { body, keys: c.keys, rows: c.rows };
  }
}
