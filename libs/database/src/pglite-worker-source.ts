/**
 * The code of the thread that runs the embedded PostgreSQL (PGlite), as plain JavaScript started with
 * `new Worker(source, { eval: true })`. Kept as a string so that it runs unchanged from the compiled app in
 * `dist/` and from the TypeScript sources under ts-node or Jest (whose transforms never see it).
 *
 * `workerData`: `{ pgliteEntry, dataDir }`, where `pgliteEntry` is the resolved path of PGlite's CommonJS entry.
 *
 * Messages in: `{ id, op: 'query', text, params }`, `{ id, op: 'rollback' }`, `{ id, op: 'close' }`.
 * Messages out: `{ ready: true }` or `{ ready: false, error }` once at start, then for each request
 * `{ id, result, inTransaction }` or `{ id, error, inTransaction }`. An error travels as
 * `{ message, stack, props }`, `props` holding the error's own enumerable fields (PostgreSQL's `code`, `detail`,
 * `constraint`, `table`, `column`, ...) that survive a structured clone.
 */
export const PGLITE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { mkdirSync } = require('node:fs');

let db;

function cloneable(value) {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return true;
  if (type !== 'object') return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describeError(error) {
  if (!(error instanceof Error)) return { message: String(error), stack: undefined, props: {} };
  const props = {};
  for (const key of Object.keys(error)) {
    if (cloneable(error[key])) props[key] = error[key];
  }
  if (!Object.prototype.hasOwnProperty.call(error, 'name') && error.name !== 'Error') props.name = error.name;
  return { message: error.message, stack: error.stack, props };
}

function inTransaction() {
  try {
    return db !== undefined && !db.closed && db.isInTransaction();
  } catch {
    return false;
  }
}

function commandOf(text) {
  return text.trim().split(/\s+/, 1)[0].toUpperCase();
}

async function run(message) {
  if (message.op === 'query') {
    const result = await db.query(message.text, message.params);
    return {
      command: result.command ?? commandOf(message.text),
      rows: result.rows,
      rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
      fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    };
  }
  if (message.op === 'rollback') {
    if (!db.closed && db.isInTransaction()) await db.exec('ROLLBACK');
    return undefined;
  }
  if (message.op === 'close') {
    if (!db.closed) await db.close();
    return undefined;
  }
  throw new Error('unknown request ' + message.op);
}

function reply(id, answer) {
  try {
    parentPort.postMessage({ id, ...answer, inTransaction: inTransaction() });
  } catch (error) {
    // A value the structured clone cannot carry: the caller gets an error rather than no answer.
    parentPort.postMessage({ id, error: describeError(error), inTransaction: inTransaction() });
  }
}

async function open() {
  try {
    const { PGlite } = require(workerData.pgliteEntry);
    mkdirSync(workerData.dataDir, { recursive: true });
    db = new PGlite(workerData.dataDir);
    await db.waitReady;
  } catch (error) {
    parentPort.postMessage({ ready: false, error: describeError(error) });
    return;
  }
  parentPort.on('message', (message) => {
    run(message).then(
      (result) => reply(message.id, { result }),
      (error) => reply(message.id, { error: describeError(error) }),
    );
  });
  parentPort.postMessage({ ready: true });
}

void open();
`;
