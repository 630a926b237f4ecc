// A small Tactful client for Node 20+ (or a browser): fetch + a spec-compliant SSE parser.
//   TACTFUL_URL=http://127.0.0.1:8000 node examples/js/tactful-client.mjs "Just checking in..."
// Set TACTFUL_API_KEY when the API requires a key. The API ends event-stream lines
// with CRLF: lines are split on CRLF, LF or CR, never on a bare "\n\n".

export class TactfulError extends Error {
  constructor(status, problem, retryAfter) {
    super(`${status}: ${problem?.detail || problem?.title || 'request failed'}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** Feed it text chunks; calls onEvent({event, data}) per dispatched event. */
export function sseParser(onEvent) {
  let buffer = '';
  let skipLF = false;
  let type = '';
  let data = [];
  const line = (l) => {
    if (l === '') {
      if (data.length) onEvent({ event: type || 'message', data: data.join('\n') });
      type = '';
      data = [];
    } else if (!l.startsWith(':')) {
      const i = l.indexOf(':');
      const field = i === -1 ? l : l.slice(0, i);
      let value = i === -1 ? '' : l.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
  };
  return (chunk) => {
    if (skipLF && chunk.startsWith('\n')) chunk = chunk.slice(1);
    skipLF = false;
    buffer += chunk;
    const re = /\r\n|\r|\n/g;
    let start = 0;
    let m;
    while ((m = re.exec(buffer))) {
      if (m[0] === '\r' && m.index === buffer.length - 1) skipLF = true; // CRLF may be split
      line(buffer.slice(start, m.index));
      start = m.index + m[0].length;
    }
    buffer = buffer.slice(start);
  };
}

export function createTactful({ url = 'http://127.0.0.1:8000', apiKey } = {}) {
  const base = url.replace(/\/+$/, '');
  const headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };

  async function post(path, body, extra = {}) {
    const response = await fetch(base + path, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    if (!response.ok) {
      const problem = await response.json().catch(() => null);
      throw new TactfulError(response.status, problem, response.headers.get('retry-after'));
    }
    return response;
  }

  return {
    async analyze(body, { channel = 'email', ...request } = {}) {
      return (await post('/v1/analyze', { draft: { channel, body }, ...request })).json();
    },
    /** Async iterator of {event, data}: strategy, delta..., result (data parsed as JSON). */
    async *rewriteStream(request) {
      const response = await post('/v1/rewrites', request, { accept: 'text/event-stream' });
      const queue = [];
      const push = sseParser((ev) => queue.push({ event: ev.event, data: JSON.parse(ev.data) }));
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        push(decoder.decode(chunk, { stream: true }));
        while (queue.length) yield queue.shift();
      }
      push(decoder.decode());
      while (queue.length) yield queue.shift();
    },
    async rewrite(request, { idempotencyKey } = {}) {
      return (await post('/v1/rewrites', request, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {})).json();
    },
    async feedback(rewriteId, outcome, finalText) {
      const body = { rewrite_id: rewriteId, outcome, ...(finalText === undefined ? {} : { final_text: finalText }) };
      return (await post('/v1/feedback', body)).json();
    },
  };
}

async function main() {
  const draft = process.argv[2];
  if (!draft) {
    console.error('usage: node examples/js/tactful-client.mjs "your draft"');
    process.exit(2);
  }
  const tactful = createTactful({ url: process.env.TACTFUL_URL, apiKey: process.env.TACTFUL_API_KEY });
  const analysis = await tactful.analyze(draft);
  console.log(`score ${analysis.score}: ${analysis.findings.map((f) => f.rule).join(', ') || 'no findings'}`);
  let result;
  for await (const ev of tactful.rewriteStream({ draft: { channel: 'email', body: draft } })) {
    if (ev.event === 'delta') process.stdout.write(ev.data.text);
    if (ev.event === 'result') result = ev.data;
  }
  console.log(`\n---\nchecked (${result.source}):\n${result.rewrite.body}`);
  await tactful.feedback(result.id, 'accepted', result.rewrite.body);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
