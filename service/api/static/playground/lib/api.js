/* Tactful: the HTTP client shared by the extension's service worker and the
 * /playground page. Every call resolves (never rejects) to
 *   {ok: true, status, data}  or  {ok: false, error: {kind, status, message, retryAfter}}
 * so callers can show a quiet message instead of throwing. Results are plain
 * objects (they cross chrome.runtime messaging). Needs lib/sse.js loaded first. */
(function (root) {
  'use strict';

  const ANALYZE_TIMEOUT_MS = 8000;
  const REWRITE_TIMEOUT_MS = 90000;

  function trimBase(url) {
    return String(url || '').trim().replace(/\/+$/, '');
  }

  function retryAfterSeconds(headers) {
    const raw = headers.get('retry-after') || headers.get('ratelimit-reset');
    if (!raw) return null;
    const n = Number(raw);
    if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
    const at = Date.parse(raw);
    return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : null;
  }

  async function problemOf(response) {
    try {
      const text = await response.text();
      const body = text ? JSON.parse(text) : null;
      return body && typeof body === 'object' ? body : null;
    } catch (_) {
      return null;
    }
  }

  /** One message per failure a salesperson can act on (shown, never alerted). */
  function describe(kind, status, base, problem, retryAfter, where) {
    const detail = problem && (problem.detail || problem.title);
    switch (kind) {
      case 'down':
        return `Can't reach Tactful at ${base}. Is the API running? (${where})`;
      case 'timeout':
        return `Tactful at ${base} took too long to answer. Try again in a moment.`;
      case 'auth':
        return `Tactful said 401: the API key is missing or not valid. Set it in ${where}.`;
      case 'forbidden':
        return `Tactful said 403: this API key may not do that${detail ? ` (${detail})` : ''}.`;
      case 'rate':
        return `Tactful is rate limiting you (429). ${
          retryAfter != null ? `Trying again in ${retryAfter} s.` : 'Try again shortly.'
        }`;
      case 'invalid':
        return `Tactful could not use this text (${status})${detail ? `: ${detail}` : ''}.`;
      default:
        return `Tactful had a problem (${status || 'no status'})${detail ? `: ${detail}` : ''}. Try again.`;
    }
  }

  function kindOf(status) {
    if (status === 401) return 'auth';
    if (status === 403) return 'forbidden';
    if (status === 429) return 'rate';
    if (status === 400 || status === 413 || status === 422) return 'invalid';
    return 'server';
  }

  /**
   * getConfig: () => Promise<{apiUrl, apiKey}> (or a plain object).
   * where: what to point users at for the URL/key ("the extension options", "the API key field").
   */
  function createClient(getConfig, where) {
    where = where || 'the settings';

    async function call(path, { method = 'GET', body, accept, signal, timeoutMs, stream } = {}) {
      const cfg = (await getConfig()) || {};
      const base = trimBase(cfg.apiUrl);
      const headers = { accept: accept || 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (cfg.apiKey) headers.authorization = `Bearer ${String(cfg.apiKey).trim()}`;
      const ctrl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort();
      }, timeoutMs || ANALYZE_TIMEOUT_MS);
      const onAbort = () => ctrl.abort();
      if (signal) {
        if (signal.aborted) ctrl.abort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      const fail = (kind, status, problem, retryAfter) => ({
        ok: false,
        error: {
          kind,
          status: status || 0,
          retryAfter: retryAfter == null ? null : retryAfter,
          message: describe(kind, status, base || '(no URL set)', problem, retryAfter, where),
          problem: problem || null,
        },
      });
      const done = () => {
        clearTimeout(timer);
        if (signal) signal.removeEventListener('abort', onAbort);
      };
      let response;
      try {
        if (!base) return fail('down', 0);
        response = await fetch(base + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: ctrl.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch (err) {
        done();
        if (signal && signal.aborted) return { ok: false, error: { kind: 'aborted', status: 0, message: '' } };
        return fail(timedOut ? 'timeout' : 'down', 0);
      }
      if (!response.ok) {
        const problem = await problemOf(response);
        done();
        return fail(kindOf(response.status), response.status, problem, retryAfterSeconds(response.headers));
      }
      if (stream) {
        try {
          const result = await stream(response);
          done();
          return result;
        } catch (err) {
          done();
          if (signal && signal.aborted) return { ok: false, error: { kind: 'aborted', status: 0, message: '' } };
          return fail(timedOut ? 'timeout' : 'down', response.status);
        }
      }
      try {
        const text = await response.text();
        done();
        return { ok: true, status: response.status, data: text ? JSON.parse(text) : null };
      } catch (err) {
        done();
        if (signal && signal.aborted) return { ok: false, error: { kind: 'aborted', status: 0, message: '' } };
        return fail(timedOut ? 'timeout' : 'server', response.status);
      }
    }

    return {
      analyze(request, opts) {
        return call('/v1/analyze', { method: 'POST', body: request, ...(opts || {}) });
      },
      feedback(entry) {
        return call('/v1/feedback', { method: 'POST', body: entry });
      },
      health() {
        return call('/health/live', { timeoutMs: 4000 });
      },
      /** Streams a rewrite; onEvent({event, data}) gets each parsed SSE event (data as JSON). */
      rewrite(request, onEvent, opts) {
        return call('/v1/rewrites', {
          method: 'POST',
          body: request,
          accept: 'text/event-stream',
          timeoutMs: REWRITE_TIMEOUT_MS,
          signal: opts && opts.signal,
          stream: async (response) => {
            let final = null;
            let problem = null; // a `problem` event ends a stream that could not finish
            const parser = root.TactfulSSE.createSSEParser((ev) => {
              let data = ev.data;
              try {
                data = JSON.parse(ev.data);
              } catch (_) {
                /* keep the raw text */
              }
              if (ev.event === 'result') final = data;
              if (ev.event === 'problem') problem = data;
              onEvent({ event: ev.event, data });
            });
            const type = response.headers.get('content-type') || '';
            if (!type.includes('text/event-stream')) {
              // A server (or a cache) answered with plain JSON: treat it as the result.
              const data = await response.json();
              final = data;
              onEvent({ event: 'result', data });
              return { ok: true, status: response.status, data };
            }
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              parser.push(decoder.decode(value, { stream: true }));
            }
            parser.push(decoder.decode());
            parser.end();
            if (!final && problem && typeof problem === 'object') {
              const status = problem.status || response.status;
              const kind = kindOf(status);
              return {
                ok: false,
                error: {
                  kind,
                  status,
                  retryAfter: null,
                  problem,
                  message: describe(kind, status, '', problem, null, ''),
                },
              };
            }
            if (!final) {
              return {
                ok: false,
                error: {
                  kind: 'server',
                  status: response.status,
                  retryAfter: null,
                  message: 'The rewrite stream ended before the checked result arrived. Try again.',
                },
              };
            }
            return { ok: true, status: response.status, data: final };
          },
        });
      },
    };
  }

  root.TactfulAPI = { createClient, describe };
})(typeof globalThis !== 'undefined' ? globalThis : self);
