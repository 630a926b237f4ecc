/* Tactful content script: finds the compose box the user is writing in (a textarea or a
 * contenteditable element, e.g. Gmail's), and coaches it. Quiet until a compose box gets
 * focus: nothing is injected and nothing is sent on pages where the user does not write.
 * It never sees the API key: every call goes through the service worker. */
(function () {
  'use strict';
  if (window.__tactfulContent) return;
  window.__tactfulContent = true;

  const MIN_WIDTH = 120;
  const MIN_HEIGHT = 36;

  function alive() {
    try {
      return Boolean(chrome.runtime && chrome.runtime.id);
    } catch (_) {
      return false;
    }
  }

  const reload = {
    ok: false,
    error: {
      kind: 'server',
      status: 0,
      message: 'Tactful was updated or reloaded: reload this page to keep coaching.',
    },
  };

  const transport = {
    analyze(request) {
      if (!alive()) return Promise.resolve(reload);
      return chrome.runtime.sendMessage({ type: 'analyze', request }).catch(() => reload);
    },
    feedback(entry) {
      if (!alive()) return Promise.resolve(reload);
      return chrome.runtime.sendMessage({ type: 'feedback', entry }).catch(() => reload);
    },
    rewrite(request, onEvent) {
      if (!alive()) return { promise: Promise.resolve(reload), cancel() {} };
      let port;
      let settle;
      const promise = new Promise((resolve) => {
        settle = resolve;
      });
      try {
        port = chrome.runtime.connect({ name: 'tactful-rewrite' });
      } catch (_) {
        return { promise: Promise.resolve(reload), cancel() {} };
      }
      port.onMessage.addListener((msg) => {
        if (msg.type === 'event') onEvent(msg.event);
        else if (msg.type === 'done') {
          settle(msg.res);
          port.disconnect();
        }
      });
      port.onDisconnect.addListener(() => settle(reload));
      port.postMessage({ type: 'rewrite', request });
      return {
        promise,
        cancel() {
          settle({ ok: false, error: { kind: 'aborted', status: 0, message: '' } });
          try {
            port.disconnect();
          } catch (_) {
            /* already gone */
          }
        },
      };
    },
  };

  const channel = () => (/(^|\.)linkedin\.com$/.test(location.hostname) ? 'linkedin' : 'email');
  const coach = TactfulCoach.create({ transport, channel });

  function composeRoot(target) {
    if (!(target instanceof Element)) return null;
    if (target.closest('[data-tactful-ignore], tactful-coach')) return null;
    if (target instanceof HTMLTextAreaElement) {
      if (target.readOnly || target.disabled) return null;
      return target;
    }
    if (!target.isContentEditable) return null;
    let el = target;
    while (el.parentElement && el.parentElement.isContentEditable) el = el.parentElement;
    return el;
  }

  function bigEnough(el) {
    const r = el.getBoundingClientRect();
    return r.width >= MIN_WIDTH && r.height >= MIN_HEIGHT;
  }

  function consider(target) {
    const el = composeRoot(target);
    if (!el || el === coach.element) return;
    if (!bigEnough(el)) return;
    coach.attach(el);
  }

  document.addEventListener('focusin', (ev) => consider(ev.composedPath()[0] || ev.target), true);
  // Some editors keep focus while content is swapped in: catch the first input too.
  document.addEventListener('input', (ev) => consider(ev.composedPath()[0] || ev.target), true);
  if (document.activeElement && document.activeElement !== document.body) consider(document.activeElement);
})();
