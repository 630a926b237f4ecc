/* The /playground page: the extension's coach (lib/coach.js) on a plain textarea,
 * talking to this same API (same origin, so no CORS and no extension needed). */
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const draft = $('draft');
  const keyInput = $('api-key');
  const KEY_STORE = 'tactful.playground.apiKey';

  try {
    keyInput.value = sessionStorage.getItem(KEY_STORE) || '';
  } catch (_) {
    /* storage disabled */
  }
  keyInput.addEventListener('change', () => {
    try {
      sessionStorage.setItem(KEY_STORE, keyInput.value.trim());
    } catch (_) {
      /* storage disabled */
    }
    coach.analyzeNow();
  });

  const client = TactfulAPI.createClient(
    () => ({ apiUrl: location.origin, apiKey: keyInput.value.trim() }),
    'the API key field on the right',
  );

  function showAnswer(value) {
    $('answer').textContent = JSON.stringify(value, null, 2);
  }

  const transport = {
    async analyze(request) {
      const res = await client.analyze(request);
      showAnswer(res.ok ? res.data : res.error);
      return res;
    },
    feedback(entry) {
      return client.feedback(entry);
    },
    rewrite(request, onEvent) {
      const ctrl = new AbortController();
      const promise = client.rewrite(request, onEvent, { signal: ctrl.signal }).then((res) => {
        showAnswer(res.ok ? res.data : res.error);
        return res;
      });
      return { promise, cancel: () => ctrl.abort() };
    },
  };

  function setPath(obj, path, value) {
    const parts = path.split('.');
    let node = obj;
    for (const p of parts.slice(0, -1)) node = node[p] = node[p] || {};
    node[parts[parts.length - 1]] = value;
  }

  function context() {
    const ctx = {};
    for (const el of document.querySelectorAll('[data-ctx]')) {
      const raw = el.value.trim();
      if (!raw) continue;
      const path = el.getAttribute('data-ctx');
      let value = raw;
      if (el.type === 'number') {
        value = Number(raw);
        if (!Number.isInteger(value) || value < 0) continue;
      } else if (path === 'prospect_messages') {
        value = raw.split(/\n\s*\n/).map((s) => s.trim()).filter(Boolean);
      }
      setPath(ctx, path, value);
    }
    return Object.keys(ctx).length ? ctx : undefined;
  }

  function shellQuote(s) {
    return `'${String(s).replace(/'/g, `'\\''`)}'`;
  }

  function curlFor(kind, request) {
    const url = `${location.origin}/v1/${kind === 'rewrite' ? 'rewrites' : 'analyze'}`;
    const lines = [`curl -sS${kind === 'rewrite' ? 'N' : ''} ${url}`, `  -H 'content-type: application/json'`];
    if (kind === 'rewrite') lines.push(`  -H 'accept: text/event-stream'`);
    if (keyInput.value.trim()) lines.push(`  -H "authorization: Bearer $TACTFUL_API_KEY"`);
    lines.push(`  -d ${shellQuote(JSON.stringify(request, null, 2))}`);
    return lines.join(' \\\n');
  }

  const coach = TactfulCoach.create({
    transport,
    channel: () => $('channel').value,
    getSubject: () => $('subject').value.trim() || undefined,
    getContext: context,
    onUse: (result) => {
      if (result.rewrite && result.rewrite.subject) $('subject').value = result.rewrite.subject;
    },
    onRequest: (kind, request) => {
      if (kind === 'analyze' || kind === 'rewrite') $('curl').textContent = curlFor(kind, request);
    },
  });
  coach.attach(draft);

  // Context, channel and subject change the analysis too.
  for (const el of document.querySelectorAll('[data-ctx], #channel, #subject')) {
    el.addEventListener('change', () => coach.analyzeNow());
  }

  $('copy-curl').addEventListener('click', async () => {
    const text = $('curl').textContent;
    try {
      await navigator.clipboard.writeText(text);
      $('copy-curl').textContent = 'Copied';
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents($('curl'));
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      $('copy-curl').textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => ($('copy-curl').textContent = 'Copy'), 1500);
  });

  const EXAMPLE = {
    subject: 'Following up',
    body:
      'Hi Dana,\n\nI have reached out three times and heard nothing. Our award-winning platform is the best on the market. ' +
      'This offer expires Friday - are you ready to move forward?\n\nChris',
    ctx: {
      'prospect-name': 'Dana Miles', 'prospect-company': 'Miles Outfitters', 'prospect-role': 'Ops lead',
      goal: 'keep stock balanced across three new stores',
      notes: 'Met at the retail expo; weekly transfers between stores eat her Mondays.',
      touches: '3', days: '21', stage: 'proposal_sent',
      'sender-name': 'Chris', 'sender-company': 'Stockwise', 'sender-offer': 'inventory planning',
    },
  };
  $('example').addEventListener('click', () => {
    $('subject').value = EXAMPLE.subject;
    for (const [id, v] of Object.entries(EXAMPLE.ctx)) $(id).value = v;
    draft.focus();
    draft.value = EXAMPLE.body;
    draft.dispatchEvent(new InputEvent('input', { bubbles: true }));
  });
  $('clear').addEventListener('click', () => {
    draft.value = '';
    draft.dispatchEvent(new InputEvent('input', { bubbles: true }));
    draft.focus();
  });
})();
