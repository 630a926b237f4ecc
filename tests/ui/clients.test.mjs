// The JavaScript client example against a live API, and both SSE parsers (the
// extension's lib/sse.js and the example's) on CRLF / LF / CR streams split anywhere.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startApi } from './harness.mjs';
import { createTactful, sseParser } from '../../examples/js/tactful-client.mjs';
import '../../extension/lib/sse.js';

const STREAM = 'event: strategy\r\ndata: {"id":"value_nudge"}\r\n\r\n: keep-alive\r\n\r\nevent: delta\r\ndata: {"text":"Hi"}\r\n\r\n' +
  'event: delta\ndata: {"text":" there"}\n\nevent: result\rdata: {"a":1,\rdata: "b":2}\r\r';
const WANT = [
  { event: 'strategy', data: '{"id":"value_nudge"}' },
  { event: 'delta', data: '{"text":"Hi"}' },
  { event: 'delta', data: '{"text":" there"}' },
  { event: 'result', data: '{"a":1,\n"b":2}' },
];

function runLib(chunks) {
  const got = [];
  const p = globalThis.TactfulSSE.createSSEParser((ev) => got.push({ event: ev.event, data: ev.data }));
  for (const c of chunks) p.push(c);
  return got;
}
function runExample(chunks) {
  const got = [];
  const push = sseParser((ev) => got.push(ev));
  for (const c of chunks) push(c);
  return got;
}

describe('SSE parsers', () => {
  for (const [name, run] of [['extension lib/sse.js', runLib], ['examples/js', runExample]]) {
    test(`${name}: CRLF, LF and CR line ends, split at every position`, () => {
      assert.deepEqual(run([STREAM]), WANT);
      for (let i = 1; i < STREAM.length; i++) {
        assert.deepEqual(run([STREAM.slice(0, i), STREAM.slice(i)]), WANT, `split at ${i}`);
      }
      assert.deepEqual(run([...STREAM]), WANT, 'one character at a time');
    });
  }
  test('lib/sse.js: a BOM is dropped; an event without its blank line is not dispatched', () => {
    assert.deepEqual(runLib(['\ufeffdata: x\r\n\r\ndata: y\r\n']), [{ event: 'message', data: 'x' }]);
  });
});

describe('JavaScript client example (live API)', () => {
  let api;
  before(async () => {
    api = await startApi();
  });
  after(async () => api?.stop());

  test('analyze, streamed rewrite, feedback', async () => {
    const tactful = createTactful({ url: api.url });
    const draft = 'Hi Dana, just checking in again. Per my last email, are you ready to sign this week?';
    const analysis = await tactful.analyze(draft);
    assert.ok(analysis.findings.some((f) => f.rule === 'empty_check_in'));
    const events = [];
    for await (const ev of tactful.rewriteStream({ draft: { channel: 'email', body: draft } })) events.push(ev);
    assert.equal(events[0].event, 'strategy');
    assert.ok(events.some((e) => e.event === 'delta'));
    const result = events.at(-1);
    assert.equal(result.event, 'result');
    assert.ok(result.data.after.score > analysis.score);
    assert.equal(result.data.after.findings.filter((f) => f.severity === 'error').length, 0);
    const fb = await tactful.feedback(result.data.id, 'accepted', result.data.rewrite.body);
    assert.ok(fb.id);
    assert.equal(api.feedback().at(-1).outcome, 'accepted');
  });

  test('the example runs as a command', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'examples/js/tactful-client.mjs'), 'Just checking in. Are you ready to move forward?'],
      { env: { ...process.env, TACTFUL_URL: api.url } },
    );
    assert.match(stdout, /^score \d+: /);
    assert.match(stdout, /checked \((composer|editor|model)\):/);
  });

  test('errors carry the status and problem detail', async () => {
    const tactful = createTactful({ url: api.url });
    await assert.rejects(tactful.analyze(''), (err) => err.status === 422 && Boolean(err.problem));
  });
});
