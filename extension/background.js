/* Tactful service worker: the only place that knows the API URL and key, and the
 * only place that calls the API (host permissions, so no CORS setup is needed).
 * Content scripts ask it for: analyze, feedback, and (over a port) a streamed rewrite. */
importScripts('lib/sse.js', 'lib/api.js');

const DEFAULTS = { apiUrl: 'http://127.0.0.1:8000', apiKey: '', senderName: '', senderCompany: '', senderOffer: '' };

async function getConfig() {
  return chrome.storage.local.get(DEFAULTS);
}

const client = TactfulAPI.createClient(getConfig, 'the Tactful extension options');

// Keep the key out of content scripts' reach (storage.local is readable by them by default).
try {
  Promise.resolve(chrome.storage.local.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' })).catch(() => {});
} catch (_) {
  /* older Chrome: only storage.session supports access levels; content.js never reads storage */
}

function fromOurContentScript(sender) {
  return sender && sender.id === chrome.runtime.id;
}

async function contextFor() {
  const cfg = await getConfig();
  const sender = {};
  if (cfg.senderName) sender.name = cfg.senderName;
  if (cfg.senderCompany) sender.company = cfg.senderCompany;
  if (cfg.senderOffer) sender.offer = cfg.senderOffer;
  return Object.keys(sender).length ? { sender } : undefined;
}

async function withContext(request) {
  const body = { draft: request.draft };
  const context = await contextFor();
  if (context) body.context = context;
  return body;
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!fromOurContentScript(sender) || !msg || typeof msg !== 'object') return false;
  if (msg.type === 'analyze') {
    withContext(msg.request).then((body) => client.analyze(body)).then(sendResponse);
    return true;
  }
  if (msg.type === 'feedback') {
    const entry = msg.entry || {};
    (entry.request ? withContext(entry.request) : Promise.resolve(undefined))
      .then((request) => client.feedback(request ? { ...entry, request } : entry))
      .then(sendResponse);
    return true;
  }
  if (msg.type === 'open-options') {
    chrome.runtime.openOptionsPage();
    return false;
  }
  return false;
});

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'tactful-rewrite' || !fromOurContentScript(port.sender)) return;
  const ctrl = new AbortController();
  port.onDisconnect.addListener(() => ctrl.abort());
  port.onMessage.addListener(async (msg) => {
    if (!msg || msg.type !== 'rewrite') return;
    const body = await withContext(msg.request);
    const res = await client.rewrite(
      body,
      (event) => {
        try {
          port.postMessage({ type: 'event', event });
        } catch (_) {
          ctrl.abort();
        }
      },
      { signal: ctrl.signal },
    );
    try {
      port.postMessage({ type: 'done', res });
    } catch (_) {
      /* the tab went away */
    }
  });
});

chrome.action.onClicked.addListener(() => chrome.runtime.openOptionsPage());
