/* Tactful options: the API URL and key, kept in chrome.storage.local. */
(function () {
  'use strict';
  const DEFAULTS = { apiUrl: 'http://127.0.0.1:8000', apiKey: '', senderName: '', senderCompany: '', senderOffer: '' };
  const FIELDS = Object.keys(DEFAULTS);
  const $ = (id) => document.getElementById(id);
  const status = $('status');

  function say(text, kind) {
    status.textContent = text;
    status.setAttribute('data-kind', kind || 'info');
  }

  function values() {
    const out = {};
    for (const k of FIELDS) out[k] = $(k).value.trim();
    out.apiUrl = out.apiUrl.replace(/\/+$/, '');
    return out;
  }

  /** Hosts other than 127.0.0.1/localhost need an optional host permission (asked on Save). */
  async function ensurePermission(apiUrl) {
    let origin;
    try {
      const u = new URL(apiUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'The API URL must start with http:// or https://';
      origin = `${u.protocol}//${u.hostname}/*`;
    } catch (_) {
      return 'That API URL is not a valid URL.';
    }
    const granted = await chrome.permissions.contains({ origins: [origin] });
    if (granted) return null;
    const ok = await chrome.permissions.request({ origins: [origin] }).catch(() => false);
    return ok ? null : `Tactful needs permission to call ${origin}. Save again and allow it.`;
  }

  async function load() {
    const cfg = await chrome.storage.local.get(DEFAULTS);
    for (const k of FIELDS) $(k).value = cfg[k] || '';
  }

  $('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const cfg = values();
    if (!cfg.apiUrl) cfg.apiUrl = DEFAULTS.apiUrl;
    const problem = await ensurePermission(cfg.apiUrl);
    if (problem) {
      say(problem, 'error');
      return;
    }
    await chrome.storage.local.set(cfg);
    $('apiUrl').value = cfg.apiUrl;
    say('Saved. Open a compose box and start typing.', 'ok');
  });

  $('test').addEventListener('click', async () => {
    const cfg = values();
    say('Testing…');
    const client = TactfulAPI.createClient(() => cfg, 'these settings');
    const health = await client.health();
    if (!health.ok) {
      say(health.error.message, 'error');
      return;
    }
    const probe = await client.analyze({ draft: { channel: 'email', body: 'Hi, just checking in.' } });
    if (!probe.ok) say(probe.error.message, 'error');
    else say(`Connected: the API answered (score ${probe.data.score} for a test draft).`, 'ok');
  });

  load();
})();
