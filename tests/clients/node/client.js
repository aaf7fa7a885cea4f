// node-postgres client driven by tests/clients (see harness.py for the protocol).
// Connection parameters come from the libpq environment (PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD), which pg reads itself. The first line on
// stdin is the request {"scenario": ..., "params": ...}; answers are JSON lines
// on stdout, the last one {"result": ...}.
'use strict';
const { Client } = require('pg');
const { from: copyFrom } = require('pg-copy-streams');
const readline = require('readline');
const { Readable } = require('stream');
const { pipeline } = require('stream/promises');

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const notices = [];

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function errorOf(err) {
  return {
    kind: err.constructor.name, driver_kind: err.constructor.name, sqlstate: err.code || null,
    message: err.message, detail: err.detail || null, hint: err.hint || null,
  };
}

async function connect() {
  const client = new Client();
  client.on('notice', (m) => notices.push({
    severity: m.severity, sqlstate: m.code || null, message: m.message, detail: m.detail || null, hint: m.hint || null,
  }));
  await client.connect();
  return client;
}

// Who is acting (DESIGN §1.3), as an application tags its transaction.
async function tag(client) {
  await client.query("SELECT set_config('dbguard.actor', 'retell_ai', true), set_config('dbguard.source', 'retell_webhook', true)");
}

// A phone-AI booking: the call with its claim, then its appointment, one transaction.
// Broken: the appointment INSERT fails inside a SAVEPOINT, the app swallows it and commits.
async function booking(p, broken) {
  const out = { error: null, swallowed: null };
  const client = await connect();
  try {
    await client.query('BEGIN');
    await tag(client);
    const call = await client.query(
      `INSERT INTO public.calls (company_id, retell_call_id, direction, booking_id, booking_confirmed, appointment_made, session_outcome)
       VALUES ($1, $2, 'inbound', $3, true, true, 'appointment_booked') RETURNING id`,
      [p.company_id, p.retell_call_id, p.booking_id]);
    out.call_id = Number(call.rows[0].id);
    const insert = () => client.query(
      `INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at, status, calcom_v2_booking_id)
       VALUES ($1, $2, $3, $4, 'scheduled', $5) RETURNING id`,
      [p.company_id, out.call_id, p.starts_at, broken ? p.starts_at : p.ends_at, p.booking_id]);
    if (broken) {
      try {
        await client.query('SAVEPOINT create_appointment');
        await insert();
        await client.query('RELEASE SAVEPOINT create_appointment');
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT create_appointment');
        out.swallowed = errorOf(err);
      }
    } else {
      out.appointment_id = Number((await insert()).rows[0].id);
    }
    await client.query('COMMIT');
  } catch (err) {
    out.error = errorOf(err);
  } finally {
    await client.end();
  }
  return out;
}

async function probe(p) {
  const out = { error: null };
  const client = await connect();
  try {
    await client.query('BEGIN');
    await client.query(p.warning_sql);
    await client.query(p.error_sql);
    await client.query('COMMIT');
  } catch (err) {
    out.error = errorOf(err);
  } finally {
    await client.end();
  }
  return out;
}

// Transactions writing an appointment of each lead, in the given order. Each waits for a
// line on stdin before it begins and again between its two writes: the harness starts
// the transactions of all clients together and holds them until all have written once.
async function opposite(p) {
  const [first, second] = p.leads;
  const start = new Date(p.starts_at);
  const client = await connect();
  try {
    for (let i = 0; i < p.pairs; i++) {
      let error = null;
      await lines.next();
      try {
        await client.query('BEGIN');
        for (const [n, lead] of [first, second].entries()) {
          const at = new Date(start.getTime() + (i * 24 + n) * 3600e3);
          await client.query(
            `INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at, status)
             VALUES ($1, $2, $3, $4, 'scheduled')`,
            [p.company_id, lead, at.toISOString(), new Date(at.getTime() + 1800e3).toISOString()]);
          if (n === 0) {
            emit({ ready: i });
            await lines.next();
          }
        }
        await client.query('COMMIT');
      } catch (err) {
        error = errorOf(err);
        await client.query('ROLLBACK');
      }
      emit({ done: i, error });
    }
  } finally {
    await client.end();
  }
  return {};
}

// COPY ... FROM STDIN (pg-copy-streams), in one transaction.
async function copy(p) {
  const out = { error: null };
  const data = p.rows.map((row) => row.map((v) => (v === null ? '\\N' : String(v))).join('\t') + '\n').join('');
  const client = await connect();
  try {
    await client.query('BEGIN');
    await pipeline(Readable.from([data]), client.query(copyFrom(`COPY public.${p.table} (${p.columns.join(', ')}) FROM STDIN`)));
    await client.query('COMMIT');
  } catch (err) {
    out.error = errorOf(err);
  } finally {
    await client.end();
  }
  return out;
}

const SCENARIOS = { happy: (p) => booking(p, false), broken: (p) => booking(p, true), probe, opposite, copy };

(async () => {
  const request = JSON.parse((await lines.next()).value);
  const result = await SCENARIOS[request.scenario](request.params);
  result.notices = notices;
  result.notices_supported = true;
  emit({ result });
  process.exit(0);
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
