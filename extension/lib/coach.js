/* Tactful coach: the score badge, the underlines, the hover card and the rewrite
 * panel, drawn over one compose box (a textarea or a contenteditable element).
 * Shared verbatim by the extension's content script and the /playground page;
 * the caller injects a transport, so this file never sees an API key.
 *
 *   const coach = TactfulCoach.create({transport, channel, getContext, getSubject, onRequest, onUse});
 *   coach.attach(element);     // start coaching this compose box
 *
 * transport.analyze(request)              -> Promise<{ok, data} | {ok: false, error}>
 * transport.rewrite(request, onEvent)     -> {promise, cancel}
 * transport.feedback(entry)               -> Promise<...>   (fire and forget)
 *
 * Everything lives in one open shadow root (stable hooks: data-tactful="score",
 * "rewrite", "result", "use", "status"; one data-tactful-rule element per finding).
 * Typing is never blocked: input only (re)arms a timer; layout work happens in
 * requestAnimationFrame; answers for text that has changed since are dropped. */
(function (root) {
  'use strict';

  const DEBOUNCE_MS = 450;
  const MAX_RETRY_S = 60;

  const PRINCIPLES = {
    buyer_goal: "The buyer's goal, not our pitch",
    learning_conversation: 'Invite a learning conversation',
    value_and_next_step: 'A small bite of value and a light next step',
    real_urgency: 'Urgency only from their world',
    no_guilt: 'No guilt, no blame, no stalking',
    safe_to_say_no: 'Make it safe to say something changed',
    honest_reset: 'The honest reset',
    their_timing: 'Their time, their channel',
    reliability: 'Reliability',
    accuracy: 'Only facts you actually have',
  };

  function human(id) {
    const s = String(id || '').replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  function principleLabel(id) {
    return PRINCIPLES[id] || human(id);
  }

  const CSS = `
:host { all: initial; }
.tf-root { position: fixed; inset: 0 auto auto 0; width: 0; height: 0; z-index: 2147483646;
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; }
.tf-layer { position: fixed; inset: 0 auto auto 0; width: 0; height: 0; pointer-events: none; }
.tf-u { position: static; outline: none; }
.tf-seg { position: fixed; pointer-events: none; border-bottom: 2px solid #d93025; background: rgba(217,48,37,.07); border-radius: 1px; }
.tf-u[data-severity="warning"] .tf-seg { border-bottom-color: #e8a200; background: rgba(232,162,0,.08); }
.tf-u.tf-active .tf-seg, .tf-u:focus .tf-seg { background: rgba(217,48,37,.18); }
.tf-u[data-severity="warning"].tf-active .tf-seg, .tf-u[data-severity="warning"]:focus .tf-seg { background: rgba(232,162,0,.22); }
.tf-badge { position: fixed; display: none; align-items: center; gap: 6px; pointer-events: auto;
  background: #fff; border: 1px solid #d6dae3; border-radius: 16px; padding: 2px 4px 2px 2px;
  box-shadow: 0 1px 4px rgba(20,30,60,.15); }
.tf-badge.tf-on { display: flex; }
.tf-score { all: unset; cursor: pointer; min-width: 26px; height: 24px; padding: 0 7px; border-radius: 12px; text-align: center;
  font-weight: 650; color: #fff; background: #8a93a6; box-sizing: border-box; line-height: 24px; }
.tf-score[data-band="good"] { background: #1e8e3e; }
.tf-score[data-band="ok"] { background: #d98e00; }
.tf-score[data-band="poor"] { background: #d93025; }
.tf-score[data-stale="true"] { opacity: .65; }
.tf-score[data-error="true"] { background: #5f6368; }
.tf-btn { all: unset; cursor: pointer; padding: 3px 10px; border-radius: 12px; font-weight: 600; color: #1a56db; }
.tf-btn:hover, .tf-btn:focus-visible { background: #eef2fd; }
.tf-btn[disabled] { color: #9aa0ac; cursor: default; background: none; }
.tf-primary { background: #1a56db; color: #fff; }
.tf-primary:hover, .tf-primary:focus-visible { background: #1646b5; }
.tf-status { max-width: 300px; font-size: 12px; color: #5f6368; white-space: normal; }
.tf-status:empty { display: none; }
.tf-status[data-kind="error"] { color: #a50e0e; }
.tf-card, .tf-summary { position: fixed; display: none; max-width: 340px; pointer-events: auto; background: #fff;
  border: 1px solid #d6dae3; border-radius: 8px; padding: 10px 12px; box-shadow: 0 4px 16px rgba(20,30,60,.18); }
.tf-card.tf-on, .tf-summary.tf-on { display: block; }
.tf-card h4, .tf-summary h4 { margin: 0 0 4px; font-size: 13px; }
.tf-card p { margin: 0 0 6px; }
.tf-principle { font-size: 12px; color: #5f6368; }
.tf-fix { all: unset; cursor: pointer; display: inline-block; margin: 4px 6px 0 0; padding: 2px 8px; border-radius: 10px;
  background: #e6f4ea; color: #137333; font-weight: 600; }
.tf-fix:hover, .tf-fix:focus-visible { background: #ceead6; }
.tf-summary ul { margin: 0; padding: 0; list-style: none; max-height: 260px; overflow: auto; }
.tf-summary li { padding: 4px 0; border-top: 1px solid #eef0f4; cursor: pointer; }
.tf-summary li:first-child { border-top: 0; }
.tf-dot { display: inline-block; width: 8px; height: 8px; border-radius: 4px; background: #d93025; margin-right: 6px; }
[data-severity="warning"] > .tf-dot { background: #e8a200; }
.tf-panel { position: fixed; top: 12px; right: 12px; width: 380px; max-width: calc(100vw - 24px);
  max-height: calc(100vh - 24px); overflow: auto; display: none; pointer-events: auto; background: #fff;
  border: 1px solid #d6dae3; border-radius: 10px; box-shadow: 0 8px 28px rgba(20,30,60,.22); padding: 12px 14px; box-sizing: border-box; }
.tf-panel.tf-on { display: block; }
.tf-panel header { display: flex; justify-content: space-between; align-items: center; margin-bottom: 6px; }
.tf-panel header strong { font-size: 14px; }
.tf-close { all: unset; cursor: pointer; font-size: 18px; line-height: 18px; padding: 2px 6px; border-radius: 4px; color: #5f6368; }
.tf-close:hover { background: #eef0f4; }
.tf-strategy { font-size: 12px; color: #3c4350; margin-bottom: 8px; }
.tf-strategy:empty { display: none; }
.tf-subject { font-weight: 600; margin-bottom: 4px; }
.tf-subject:empty { display: none; }
.tf-result { white-space: pre-wrap; border: 1px solid #e3e6ec; border-radius: 6px; padding: 8px; min-height: 60px; background: #fbfcfe; outline: none; }
.tf-result[data-state="streaming"]::after { content: "▍"; color: #1a56db; animation: tf-blink 1s steps(2) infinite; }
.tf-result[data-state="final"] { background: #fff; border-color: #b7c6f4; }
.tf-result[data-state="error"] { color: #a50e0e; }
@keyframes tf-blink { 50% { opacity: 0; } }
.tf-meta { font-size: 12px; color: #5f6368; margin: 6px 0; }
.tf-meta:empty { display: none; }
.tf-changes { margin: 6px 0 0; padding: 0; list-style: none; }
.tf-changes li { padding: 6px 0; border-top: 1px solid #eef0f4; font-size: 12px; }
.tf-changes del { color: #a50e0e; }
.tf-changes ins { color: #137333; text-decoration: none; }
.tf-actions { display: flex; gap: 8px; margin-top: 10px; }
`;

  // ---------------------------------------------------------------- text model

  const BLOCK = /^(DIV|P|LI|UL|OL|H[1-6]|BLOCKQUOTE|PRE|TR|TABLE|SECTION|ARTICLE|HEADER|FOOTER)$/;

  function isTextControl(el) {
    return el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement;
  }

  /** The text of a contenteditable box and where each character lives in the DOM. */
  function serializeEditable(host) {
    const segs = [];
    let text = '';
    const newline = () => {
      if (text.length && text.charCodeAt(text.length - 1) !== 10) text += '\n';
    };
    const walk = (node) => {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) {
          const data = child.data.replace(/\u00a0/g, ' ');
          if (data) {
            segs.push({ node: child, start: text.length, len: data.length });
            text += data;
          }
        } else if (child.nodeType === 1) {
          const tag = child.tagName;
          if (tag === 'BR') {
            text += '\n';
          } else if (tag !== 'STYLE' && tag !== 'SCRIPT' && !child.hasAttribute('data-tactful-host')) {
            const block = BLOCK.test(tag);
            if (block) newline();
            walk(child);
            if (block) newline();
          }
        }
      }
    };
    walk(host);
    return { text, segs };
  }

  function readText(el) {
    return isTextControl(el) ? el.value : serializeEditable(el).text;
  }

  /** Python counts code points; JS strings count UTF-16 units. */
  function cpConverter(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (cp) => Math.min(cp, text.length);
    const map = [];
    let u = 0;
    for (const ch of text) {
      map.push(u);
      u += ch.length;
    }
    map.push(u);
    return (cp) => map[Math.max(0, Math.min(cp, map.length - 1))];
  }

  function domPoint(segs, offset, preferEnd) {
    let best = null;
    for (const seg of segs) {
      if (offset >= seg.start && offset <= seg.start + seg.len) {
        if (!preferEnd && offset === seg.start + seg.len) {
          best = best || { node: seg.node, offset: seg.len };
          continue;
        }
        return { node: seg.node, offset: offset - seg.start };
      }
      if (seg.start > offset) return best || { node: seg.node, offset: 0 };
    }
    if (best) return best;
    const last = segs[segs.length - 1];
    return last ? { node: last.node, offset: last.len } : null;
  }

  function editableRange(el, start, end) {
    const { segs } = serializeEditable(el);
    const a = domPoint(segs, start, false);
    const b = domPoint(segs, end, true);
    if (!a || !b) return null;
    const range = document.createRange();
    try {
      range.setStart(a.node, a.offset);
      range.setEnd(b.node, b.offset);
    } catch (_) {
      return null;
    }
    return range;
  }

  // -------------------------------------------------------------- geometry

  const MIRROR_PROPS = [
    'boxSizing', 'fontFamily', 'fontSize', 'fontStyle', 'fontWeight', 'fontVariant', 'fontStretch',
    'letterSpacing', 'lineHeight', 'textTransform', 'textIndent', 'textAlign', 'tabSize', 'wordSpacing',
    'wordBreak', 'overflowWrap', 'whiteSpace', 'direction',
    'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
  ];

  function textareaRects(el, mirror, ranges) {
    const cs = getComputedStyle(el);
    const st = mirror.style;
    for (const p of MIRROR_PROPS) st[p] = cs[p];
    const padL = parseFloat(cs.paddingLeft) || 0;
    const padR = parseFloat(cs.paddingRight) || 0;
    st.boxSizing = 'content-box';
    st.border = '0';
    st.width = Math.max(0, el.clientWidth - padL - padR) + 'px';
    st.height = 'auto';
    if (el instanceof HTMLInputElement) st.whiteSpace = 'pre';
    else if (cs.whiteSpace === 'normal' || !cs.whiteSpace) st.whiteSpace = 'pre-wrap';
    const text = el.value;
    mirror.textContent = text + '\u200b';
    const node = mirror.firstChild;
    const base = mirror.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    const originX = box.left + el.clientLeft - el.scrollLeft;
    const originY = box.top + el.clientTop - el.scrollTop;
    const range = document.createRange();
    return ranges.map(([s, e]) => {
      if (e <= s) return [];
      range.setStart(node, Math.min(s, text.length));
      range.setEnd(node, Math.min(e, text.length));
      return Array.from(range.getClientRects())
        .filter((r) => r.width > 0.5)
        .map((r) => ({
          left: r.left - base.left + originX,
          top: r.top - base.top + originY,
          width: r.width,
          height: r.height,
        }));
    });
  }

  function editableRects(el, ranges) {
    return ranges.map(([s, e]) => {
      if (e <= s) return [];
      const range = editableRange(el, s, e);
      if (!range) return [];
      return Array.from(range.getClientRects())
        .filter((r) => r.width > 0.5)
        .map((r) => ({ left: r.left, top: r.top, width: r.width, height: r.height }));
    });
  }

  function clip(rect, box) {
    const left = Math.max(rect.left, box.left);
    const top = Math.max(rect.top, box.top);
    const right = Math.min(rect.left + rect.width, box.right);
    const bottom = Math.min(rect.top + rect.height, box.bottom);
    if (right - left < 1 || bottom - top < 1) return null;
    return { left, top, width: right - left, height: bottom - top };
  }

  // ------------------------------------------------------------- editing

  function selectAllIn(el) {
    if (isTextControl(el)) {
      el.select();
      return;
    }
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = el.ownerDocument.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function normalizeWs(s) {
    return String(s).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
  }

  function fireInput(el, data) {
    el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertReplacementText', data }));
  }

  /** Replace the whole text, keeping the browser's undo stack when it can. */
  function replaceAll(el, text) {
    el.focus({ preventScroll: true });
    selectAllIn(el);
    let ok = false;
    try {
      ok = el.ownerDocument.execCommand('insertText', false, text);
    } catch (_) {
      ok = false;
    }
    if (ok && normalizeWs(readText(el)) === normalizeWs(text)) return;
    if (isTextControl(el)) {
      const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, text);
    } else {
      const doc = el.ownerDocument;
      const parts = [];
      text.split('\n').forEach((line, i) => {
        if (i) parts.push(doc.createElement('br'));
        if (line) parts.push(doc.createTextNode(line));
      });
      el.replaceChildren(...parts);
    }
    fireInput(el, text);
  }

  /** Replace characters [start, end) (UTF-16 offsets of readText(el)). */
  function replaceRange(el, start, end, text) {
    el.focus({ preventScroll: true });
    let ok = false;
    if (isTextControl(el)) {
      el.setSelectionRange(start, end);
      try {
        ok = el.ownerDocument.execCommand('insertText', false, text);
      } catch (_) {
        ok = false;
      }
      if (!ok) {
        el.setRangeText(text, start, end, 'end');
        fireInput(el, text);
      }
      return;
    }
    const range = editableRange(el, start, end);
    if (!range) return;
    const sel = el.ownerDocument.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try {
      ok = el.ownerDocument.execCommand('insertText', false, text);
    } catch (_) {
      ok = false;
    }
    if (!ok) {
      range.deleteContents();
      if (text) range.insertNode(el.ownerDocument.createTextNode(text));
      fireInput(el, text);
    }
  }

  function suggestionsOf(finding) {
    const raw = finding && finding.suggestions;
    if (!Array.isArray(raw)) return [];
    const out = [];
    for (const item of raw) {
      let text = null;
      if (typeof item === 'string') text = item;
      else if (item && typeof item === 'object') {
        for (const k of ['text', 'replacement', 'value', 'after']) {
          if (typeof item[k] === 'string') {
            text = item[k];
            break;
          }
        }
      }
      if (text !== null && !out.includes(text)) out.push(text);
      if (out.length === 3) break;
    }
    return out;
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) if (c !== null && c !== undefined) el.append(c);
    return el;
  }

  // ---------------------------------------------------------------- coach

  function create(options) {
    const transport = options.transport;
    const channelOf = options.channel || (() => 'email');
    const getContext = options.getContext || (() => undefined);
    const getSubject = options.getSubject || (() => undefined);
    const onRequest = options.onRequest || (() => {});
    const onUse = options.onUse || (() => {});
    const debounceMs = Math.min(options.debounceMs || DEBOUNCE_MS, 1000);

    // ---- DOM (created lazily: nothing is injected until a compose box is used)
    let hostEl = null;
    let shadow = null;
    let ui = null;

    function ensureUi() {
      if (ui) return ui;
      hostEl = document.createElement('tactful-coach');
      hostEl.setAttribute('data-tactful-host', '');
      shadow = hostEl.attachShadow({ mode: 'open' });
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
      } catch (_) {
        shadow.append(h('style', { text: CSS }));
      }
      const layer = h('div', { class: 'tf-layer', 'aria-hidden': 'false' });
      const score = h('button', {
        class: 'tf-score', type: 'button', 'data-tactful': 'score', 'aria-label': 'Tactful score',
        title: 'Tactful score (click for the list of findings)', text: '–',
        onclick: () => toggleSummary(),
      });
      const rewrite = h('button', {
        class: 'tf-btn', type: 'button', 'data-tactful': 'rewrite', text: 'Rewrite',
        title: 'Rewrite this draft with Tactful', onclick: () => startRewrite(),
      });
      const status = h('span', { class: 'tf-status', 'data-tactful': 'status', role: 'status', 'aria-live': 'polite' });
      const badge = h('div', { class: 'tf-badge' }, score, rewrite, status);
      const card = h('div', { class: 'tf-card', role: 'tooltip' });
      card.addEventListener('mouseenter', () => clearTimeout(state.hideCardTimer));
      card.addEventListener('mouseleave', () => scheduleHideCard());
      const summary = h('div', { class: 'tf-summary', 'data-tactful': 'findings' });
      const strategy = h('div', { class: 'tf-strategy', 'data-tactful': 'strategy' });
      const subject = h('div', { class: 'tf-subject', 'data-tactful': 'subject' });
      const result = h('div', { class: 'tf-result', 'data-tactful': 'result', 'data-state': 'idle', 'aria-live': 'polite' });
      result.addEventListener('input', () => {
        state.resultEdited = true;
      });
      const meta = h('div', { class: 'tf-meta', 'data-tactful': 'result-meta' });
      const changes = h('ul', { class: 'tf-changes', 'data-tactful': 'changes' });
      const use = h('button', {
        class: 'tf-btn tf-primary', type: 'button', 'data-tactful': 'use', text: 'Use this', disabled: true,
        onclick: () => useRewrite(),
      });
      const again = h('button', { class: 'tf-btn', type: 'button', 'data-tactful': 'again', text: 'Try again', onclick: () => startRewrite() });
      const dismiss = h('button', { class: 'tf-btn', type: 'button', 'data-tactful': 'dismiss', text: 'Dismiss', onclick: () => closePanel('rejected') });
      const close = h('button', { class: 'tf-close', type: 'button', 'aria-label': 'Close', text: '×', onclick: () => closePanel('rejected') });
      const panel = h(
        'aside',
        { class: 'tf-panel', 'data-tactful': 'panel', 'aria-label': 'Tactful rewrite' },
        h('header', null, h('strong', { text: 'Tactful rewrite' }), close),
        strategy, subject, result, meta, changes,
        h('div', { class: 'tf-actions' }, use, again, dismiss),
      );
      const mirror = h('div', { 'aria-hidden': 'true' });
      mirror.style.cssText = 'position:fixed;left:0;top:0;visibility:hidden;pointer-events:none;overflow:hidden;';
      const rootEl = h('div', { class: 'tf-root' }, layer, badge, card, summary, panel, mirror);
      shadow.append(rootEl);
      (document.body || document.documentElement).append(hostEl);
      ui = { layer, badge, score, rewrite, status, card, summary, panel, strategy, subject, result, meta, changes, use, again, mirror };
      installGlobalListeners();
      return ui;
    }

    // ---- state
    const state = {
      el: null,
      text: '',
      seq: 0,
      analysis: null, // {text, data}
      findings: [], // [{finding, start, end}] in UTF-16 offsets of the current text
      timer: 0,
      retryTimer: 0,
      frame: 0,
      hideCardTimer: 0,
      activeIndex: -1,
      rewrite: null, // {request, result, cancel, done, used}
      resultEdited: false,
      lastError: null,
    };

    // ---- analysis
    function setStatus(message, kind) {
      const u = ensureUi();
      u.status.textContent = message || '';
      u.status.setAttribute('data-kind', kind || 'info');
      u.score.setAttribute('data-error', kind === 'error' ? 'true' : 'false');
    }

    function scheduleAnalyze(delay) {
      clearTimeout(state.timer);
      state.timer = setTimeout(runAnalyze, delay === undefined ? debounceMs : delay);
    }

    function analyzeRequest(text) {
      const request = { draft: { channel: channelOf(), body: text } };
      const subject = getSubject();
      if (subject) request.draft.subject = subject;
      const context = getContext();
      if (context) request.context = context;
      return request;
    }

    async function runAnalyze() {
      const el = state.el;
      if (!el) return;
      const text = readText(el);
      if (!text.trim()) {
        state.analysis = null;
        setFindings([], text);
        showScore(null);
        setStatus('');
        return;
      }
      const seq = ++state.seq;
      const request = analyzeRequest(text);
      const sentAt = performance.now();
      onRequest('analyze', request);
      const res = await transport.analyze(request);
      if (seq !== state.seq || el !== state.el || readText(el) !== text) return; // stale: a newer draft exists
      if (!res || !res.ok) {
        const error = (res && res.error) || { kind: 'down', message: 'Tactful did not answer.' };
        if (error.kind === 'aborted') return;
        state.lastError = error;
        setStatus(error.message, 'error');
        ensureUi().score.setAttribute('data-stale', 'true');
        if (error.kind === 'rate') {
          const wait = Math.min(MAX_RETRY_S, Math.max(1, error.retryAfter || 1));
          clearTimeout(state.retryTimer);
          state.retryTimer = setTimeout(() => {
            if (seq === state.seq) runAnalyze();
          }, wait * 1000);
        }
        return;
      }
      state.lastError = null;
      setStatus('');
      state.analysis = { text, data: res.data };
      const toU16 = cpConverter(text);
      const findings = (res.data.findings || []).map((f) => ({
        finding: f,
        start: toU16(Math.max(0, f.start | 0)),
        end: toU16(Math.max(0, f.end | 0)),
      }));
      setFindings(findings, text);
      showScore(res.data.score);
      drawNow();
      const u = ensureUi();
      hostEl.setAttribute('data-analyzed-chars', String(text.length));
      hostEl.setAttribute('data-roundtrip-ms', (performance.now() - sentAt).toFixed(1));
      hostEl.setAttribute('data-seq', String(seq));
      u.score.setAttribute('data-stale', 'false');
      if (u.summary.classList.contains('tf-on')) renderSummary();
    }

    function showScore(score) {
      const u = ensureUi();
      if (score === null || score === undefined) {
        u.score.textContent = '–';
        u.score.removeAttribute('data-band');
        u.score.setAttribute('aria-label', 'Tactful score: nothing to score yet');
        return;
      }
      const n = Math.round(score);
      u.score.textContent = String(n);
      u.score.setAttribute('data-band', n >= 80 ? 'good' : n >= 50 ? 'ok' : 'poor');
      u.score.setAttribute('aria-label', `Tactful score ${n} of 100`);
    }

    function setFindings(findings, text) {
      state.findings = findings;
      state.text = text;
      const u = ensureUi();
      hideCard();
      const nodes = findings.map((item, index) => {
        const f = item.finding;
        const label = `${human(f.rule)}: ${f.message} (${principleLabel(f.principle)})`;
        const node = h('span', {
          class: 'tf-u',
          'data-tactful-rule': f.rule,
          'data-severity': f.severity,
          'data-index': String(index),
          tabindex: item.end > item.start ? '0' : null,
          role: 'mark',
          'aria-label': label,
          title: label,
        });
        node.addEventListener('focus', () => showCard(index, true));
        node.addEventListener('blur', () => scheduleHideCard());
        item.node = node;
        item.rects = [];
        return node;
      });
      // Findings without a span have nothing to underline: they live in the summary list.
      u.layer.replaceChildren(...nodes.filter((_, i) => findings[i].end > findings[i].start));
      renderSummary();
    }

    // ---- drawing
    function scheduleDraw() {
      if (state.frame) return;
      state.frame = requestAnimationFrame(() => {
        state.frame = 0;
        drawNow();
      });
    }

    function drawNow() {
      const el = state.el;
      if (!el || !ui) return;
      if (!el.isConnected) {
        detach();
        return;
      }
      const box = el.getBoundingClientRect();
      const visible = box.width > 0 && box.height > 0;
      ui.badge.classList.toggle('tf-on', visible);
      if (visible) placeBadge(box);
      const spanful = state.findings.filter((f) => f.end > f.start);
      let rects = [];
      if (visible && spanful.length) {
        const ranges = spanful.map((f) => [f.start, f.end]);
        rects = isTextControl(el) ? textareaRects(el, ui.mirror, ranges) : editableRects(el, ranges);
      }
      const inner = {
        left: box.left + el.clientLeft,
        top: box.top + el.clientTop,
        right: box.left + el.clientLeft + (el.clientWidth || box.width),
        bottom: box.top + el.clientTop + (el.clientHeight || box.height),
      };
      spanful.forEach((item, i) => {
        const segs = (rects[i] || []).map((r) => clip(r, inner)).filter(Boolean);
        item.rects = segs;
        item.node.replaceChildren(
          ...segs.map((r) => {
            const seg = document.createElement('i');
            seg.className = 'tf-seg';
            seg.style.left = `${r.left}px`;
            seg.style.top = `${r.top}px`;
            seg.style.width = `${r.width}px`;
            seg.style.height = `${r.height}px`;
            return seg;
          }),
        );
      });
      if (state.activeIndex >= 0) positionCard();
    }

    function placeBadge(box) {
      const b = ui.badge;
      const bw = b.offsetWidth || 120;
      const bh = b.offsetHeight || 28;
      const vw = document.documentElement.clientWidth || window.innerWidth;
      const vh = document.documentElement.clientHeight || window.innerHeight;
      const inside = box.height >= 3 * bh;
      let left = box.right - bw - (inside ? 18 : 0);
      let top = inside ? box.bottom - bh - 6 : box.bottom + 4;
      left = Math.max(4, Math.min(left, vw - bw - 4));
      top = Math.max(4, Math.min(top, vh - bh - 4));
      b.style.left = `${left}px`;
      b.style.top = `${top}px`;
    }

    // ---- hover card
    function showCard(index, fromFocus) {
      const item = state.findings[index];
      if (!item) return;
      clearTimeout(state.hideCardTimer);
      const u = ensureUi();
      if (state.activeIndex !== index) {
        state.findings.forEach((f) => f.node && f.node.classList.remove('tf-active'));
        if (item.node) item.node.classList.add('tf-active');
        state.activeIndex = index;
        const f = item.finding;
        const fixes = suggestionsOf(f).map((text) =>
          h('button', {
            class: 'tf-fix', type: 'button', 'data-tactful': 'fix',
            text: text ? `Replace with “${text}”` : 'Remove it',
            onclick: () => applyFix(index, text),
          }),
        );
        u.card.replaceChildren(
          h('h4', { text: `${human(f.rule)}${f.severity === 'error' ? '' : ' (suggestion)'}` }),
          h('p', { text: f.message }),
          h('div', { class: 'tf-principle', text: `Principle: ${principleLabel(f.principle)}` }),
          ...fixes,
        );
      }
      u.card.classList.add('tf-on');
      positionCard();
      if (fromFocus) u.card.setAttribute('data-from', 'focus');
    }

    function positionCard() {
      const item = state.findings[state.activeIndex];
      if (!item || !ui) return;
      const r = item.rects && item.rects[0];
      const anchor = r || ui.badge.getBoundingClientRect();
      const cw = ui.card.offsetWidth || 300;
      const ch = ui.card.offsetHeight || 80;
      const vw = document.documentElement.clientWidth || window.innerWidth;
      const vh = document.documentElement.clientHeight || window.innerHeight;
      let left = Math.max(4, Math.min(anchor.left, vw - cw - 4));
      let top = anchor.top + anchor.height + 6;
      if (top + ch > vh - 4) top = Math.max(4, anchor.top - ch - 6);
      ui.card.style.left = `${left}px`;
      ui.card.style.top = `${top}px`;
    }

    function hideCard() {
      clearTimeout(state.hideCardTimer);
      if (!ui) return;
      ui.card.classList.remove('tf-on');
      state.findings.forEach((f) => f.node && f.node.classList.remove('tf-active'));
      state.activeIndex = -1;
    }

    function scheduleHideCard() {
      clearTimeout(state.hideCardTimer);
      state.hideCardTimer = setTimeout(hideCard, 250);
    }

    function applyFix(index, text) {
      const item = state.findings[index];
      const el = state.el;
      if (!item || !el) return;
      if (!state.analysis || readText(el) !== state.analysis.text) {
        scheduleAnalyze(0);
        return;
      }
      hideCard();
      replaceRange(el, item.start, item.end, text);
    }

    let hoverFrame = 0;
    let lastMouse = null;
    function onMouseMove(ev) {
      lastMouse = ev;
      if (hoverFrame || !state.findings.length) return;
      hoverFrame = requestAnimationFrame(() => {
        hoverFrame = 0;
        const x = lastMouse.clientX;
        const y = lastMouse.clientY;
        const hit = state.findings.findIndex((f) =>
          (f.rects || []).some((r) => x >= r.left && x <= r.left + r.width && y >= r.top - 2 && y <= r.top + r.height + 3),
        );
        if (hit >= 0) showCard(hit, false);
        else if (state.activeIndex >= 0 && !ui.card.matches(':hover')) scheduleHideCard();
      });
    }

    // ---- summary (click the score)
    function renderSummary() {
      if (!ui) return;
      const items = state.findings.map((item, index) => {
        const f = item.finding;
        const spanless = !(item.end > item.start);
        const li = h(
          'li',
          {
            'data-tactful-finding': f.rule,
            'data-severity': f.severity,
            // A finding with no span has no underline: this item is its one rule element.
            'data-tactful-rule': spanless ? f.rule : null,
            tabindex: '0',
            onclick: () => focusFinding(index),
          },
          h('span', { class: 'tf-dot' }),
          h('strong', { text: human(f.rule) }),
          document.createTextNode(` — ${f.message}`),
        );
        return li;
      });
      const head = state.analysis
        ? `Score ${Math.round(state.analysis.data.score)} · ${state.findings.length} finding${state.findings.length === 1 ? '' : 's'}`
        : 'Type a draft to get a score';
      const strategy = state.analysis && state.analysis.data.strategy
        ? h('div', { class: 'tf-principle', text: `Suggested strategy: ${human(state.analysis.data.strategy)}` })
        : null;
      ui.summary.replaceChildren(h('h4', { text: head }), strategy, items.length ? h('ul', null, ...items) : h('p', { text: state.analysis ? 'Nothing to fix. Nice.' : '' }));
    }

    function toggleSummary() {
      const u = ensureUi();
      const on = !u.summary.classList.contains('tf-on');
      if (on) {
        renderSummary();
        u.summary.classList.add('tf-on');
        const b = u.badge.getBoundingClientRect();
        const sw = u.summary.offsetWidth || 320;
        const sh = u.summary.offsetHeight || 120;
        u.summary.style.left = `${Math.max(4, b.right - sw)}px`;
        u.summary.style.top = `${b.top - sh - 6 > 4 ? b.top - sh - 6 : b.bottom + 6}px`;
      } else {
        u.summary.classList.remove('tf-on');
      }
    }

    function focusFinding(index) {
      const item = state.findings[index];
      const el = state.el;
      if (!item || !el) return;
      if (item.end > item.start) {
        if (isTextControl(el)) {
          el.focus({ preventScroll: false });
          el.setSelectionRange(item.start, item.end);
        } else {
          const range = editableRange(el, item.start, item.end);
          if (range) {
            el.focus();
            const sel = el.ownerDocument.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
          }
        }
        scheduleDraw();
        setTimeout(() => showCard(index, true), 50);
      }
    }

    // ---- rewrite panel
    function startRewrite() {
      const el = state.el;
      if (!el) return;
      const u = ensureUi();
      const text = readText(el);
      if (!text.trim()) {
        setStatus('Write a draft first, then rewrite it.', 'info');
        return;
      }
      if (state.rewrite && !state.rewrite.done && state.rewrite.cancel) state.rewrite.cancel();
      hideCard();
      u.summary.classList.remove('tf-on');
      const request = analyzeRequest(text);
      const run = { request, result: null, done: false, used: false, cancel: null, original: text, streamed: '' };
      state.rewrite = run;
      state.resultEdited = false;
      u.panel.classList.add('tf-on');
      u.strategy.textContent = 'Picking a strategy…';
      u.subject.textContent = '';
      u.result.textContent = '';
      u.result.setAttribute('data-state', 'streaming');
      u.result.removeAttribute('contenteditable');
      u.meta.textContent = '';
      u.changes.replaceChildren();
      u.use.disabled = true;
      onRequest('rewrite', request);
      const handle = transport.rewrite(request, (ev) => {
        if (state.rewrite !== run) return;
        if (ev.event === 'strategy' && ev.data) {
          const s = ev.data;
          u.strategy.textContent = `Strategy: ${human(s.id)}${s.reason ? ` — ${s.reason}` : ''}`;
        } else if (ev.event === 'delta' && ev.data && typeof ev.data.text === 'string') {
          run.streamed += ev.data.text;
          u.result.textContent = run.streamed;
        } else if (ev.event === 'result' && ev.data) {
          // The checked text often arrives in the same network chunk as its deltas: show
          // the streamed text first, then the final result on the next task.
          const data = ev.data;
          run.result = data;
          setTimeout(() => { if (state.rewrite === run) showResult(run, data); }, 0);
        }
      });
      run.cancel = handle.cancel;
      handle.promise.then((res) => {
        if (state.rewrite !== run) return;
        run.done = true;
        if (res && res.ok) {
          if (!run.result && res.data) showResult(run, res.data);
          return;
        }
        const error = (res && res.error) || { message: 'The rewrite failed.' };
        if (error.kind === 'aborted') return;
        u.result.setAttribute('data-state', 'error');
        u.result.textContent = error.message;
        u.strategy.textContent = '';
      });
    }

    function showResult(run, data) {
      const u = ensureUi();
      run.result = data;
      const rewrite = data.rewrite || {};
      u.subject.textContent = rewrite.subject ? `Subject: ${rewrite.subject}` : '';
      u.result.textContent = rewrite.body || '';
      u.result.setAttribute('data-state', 'final');
      u.result.setAttribute('contenteditable', 'plaintext-only');
      u.result.setAttribute('title', 'You can edit this before using it');
      if (data.strategy && data.strategy.id) {
        u.strategy.textContent = `Strategy: ${human(data.strategy.id)}${data.strategy.reason ? ` — ${data.strategy.reason}` : ''}`;
      }
      const before = data.before && typeof data.before.score === 'number' ? Math.round(data.before.score) : null;
      const after = data.after && typeof data.after.score === 'number' ? Math.round(data.after.score) : null;
      const bits = [];
      if (before !== null && after !== null) bits.push(`Score ${before} → ${after}`);
      if (data.verdict === 'already_good') bits.push('Your draft was already good: light edits only');
      if (data.replaced_streamed_text) bits.push('The checked version replaced the streamed text');
      if (data.source) bits.push(`by the ${data.source}`);
      u.meta.textContent = bits.join(' · ');
      u.changes.replaceChildren(
        ...(data.changes || []).map((c) =>
          h(
            'li',
            { 'data-tactful-change': c.rule },
            h('strong', { text: human(c.rule) }),
            h('span', { class: 'tf-principle', text: ` · ${principleLabel(c.principle)}` }),
            h('div', null, c.before ? h('del', { text: c.before }) : null, c.before && c.after ? ' → ' : null, c.after ? h('ins', { text: c.after }) : null),
          ),
        ),
      );
      u.use.disabled = false;
    }

    function feedback(run, outcome, finalText) {
      if (!run || !run.result || !run.result.id || run.feedbackSent) return;
      run.feedbackSent = outcome;
      const entry = { rewrite_id: String(run.result.id), outcome, request: run.request };
      if (run.result.rewrite) entry.rewrite = run.result.rewrite;
      if (finalText !== undefined) entry.final_text = finalText;
      Promise.resolve(transport.feedback(entry)).catch(() => {});
    }

    function useRewrite() {
      const run = state.rewrite;
      const el = state.el;
      if (!run || !run.result || !el) return;
      const u = ensureUi();
      const text = u.result.innerText.replace(/\n$/, '');
      const edited = state.resultEdited && normalizeWs(text) !== normalizeWs(run.result.rewrite.body);
      replaceAll(el, text);
      run.used = true;
      onUse(run.result);
      feedback(run, edited ? 'edited' : 'accepted', text);
      u.panel.classList.remove('tf-on');
      setStatus('Replaced. Ctrl+Z undoes it.', 'info');
      setTimeout(() => {
        if (ui && ui.status.textContent.startsWith('Replaced')) setStatus('');
      }, 4000);
      scheduleAnalyze(0);
    }

    function closePanel(outcome) {
      const run = state.rewrite;
      if (run && !run.done && run.cancel) run.cancel();
      if (run && run.result && !run.used) feedback(run, outcome);
      if (ui) ui.panel.classList.remove('tf-on');
    }

    // ---- wiring
    let listening = false;
    function installGlobalListeners() {
      if (listening) return;
      listening = true;
      const opts = { capture: true, passive: true };
      window.addEventListener('scroll', scheduleDraw, opts);
      window.addEventListener('resize', scheduleDraw, { passive: true });
      document.addEventListener('mousemove', onMouseMove, { passive: true });
      document.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape' && ui) {
          hideCard();
          ui.summary.classList.remove('tf-on');
        }
      }, true);
    }

    let resizeObserver = null;
    function onInput() {
      const el = state.el;
      if (!el) return;
      const text = readText(el);
      shiftFindings(text);
      if (ui) ui.score.setAttribute('data-stale', 'true');
      scheduleDraw();
      scheduleAnalyze();
    }

    /** Keep underlines glued to their words while the user types; drop the edited ones. */
    function shiftFindings(text) {
      const old = state.text;
      if (old === text || !state.findings.length) {
        state.text = text;
        return;
      }
      let p = 0;
      const max = Math.min(old.length, text.length);
      while (p < max && old.charCodeAt(p) === text.charCodeAt(p)) p++;
      let s = 0;
      while (s < max - p && old.charCodeAt(old.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
      const oldEnd = old.length - s;
      const delta = text.length - old.length;
      const kept = [];
      for (const f of state.findings) {
        if (f.end <= p) kept.push(f);
        else if (f.start >= oldEnd) kept.push({ ...f, start: f.start + delta, end: f.end + delta });
      }
      if (kept.length !== state.findings.length || delta) setFindings(kept, text);
      state.text = text;
    }

    function attach(el) {
      if (state.el === el) return;
      detach();
      ensureUi();
      state.el = el;
      el.addEventListener('input', onInput);
      if (typeof ResizeObserver === 'function') {
        resizeObserver = new ResizeObserver(scheduleDraw);
        resizeObserver.observe(el);
      }
      state.text = readText(el);
      setFindings([], state.text);
      showScore(null);
      scheduleDraw();
      if (state.text.trim()) scheduleAnalyze(0);
    }

    function detach() {
      const el = state.el;
      if (!el) return;
      el.removeEventListener('input', onInput);
      if (resizeObserver) resizeObserver.disconnect();
      resizeObserver = null;
      clearTimeout(state.timer);
      clearTimeout(state.retryTimer);
      state.el = null;
      state.seq++;
      state.analysis = null;
      if (ui) {
        setFindings([], '');
        ui.badge.classList.remove('tf-on');
        ui.summary.classList.remove('tf-on');
      }
    }

    return {
      attach,
      detach,
      analyzeNow: () => scheduleAnalyze(0),
      rewrite: startRewrite,
      get element() {
        return state.el;
      },
      get host() {
        return hostEl;
      },
    };
  }

  root.TactfulCoach = { create, readText, serializeEditable, cpConverter, suggestionsOf };
})(typeof globalThis !== 'undefined' ? globalThis : self);
