// Shared pieces of the headless-Chromium tests: a live Tactful API in a subprocess,
// a tiny site with compose boxes, and Chromium (Debian's) driven by playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXTENSION = join(ROOT, 'extension');
export const REPORTS = join(ROOT, 'reports', 'ui');
mkdirSync(REPORTS, { recursive: true });

const PYTHON = process.env.TACTFUL_PYTHON || (existsSync(join(ROOT, '.venv/bin/python')) ? join(ROOT, '.venv/bin/python') : 'python3');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROME_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = netServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function apiEnv(extra) {
  const env = { ...process.env, PYTHONPATH: ROOT, TACTFUL_EMBEDDED_MODEL: 'off', TACTFUL_LOG_LEVEL: 'WARNING' };
  // The deterministic path answers rewrites in milliseconds: no model, no Redis.
  for (const k of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'REDIS_URL', 'TACTFUL_API_KEYS_FILE', 'TACTFUL_REQUIRE_API_KEY']) delete env[k];
  return { ...env, ...extra };
}

/** Creates an API key in a keys file (the CLI prints it once, as JSON). */
export function createKey(keysFile) {
  const out = spawnSync(PYTHON, ['-m', 'service.cli', 'keys', 'create', '--name', 'ui-test'], {
    env: apiEnv({ TACTFUL_API_KEYS_FILE: keysFile }),
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`keys create failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()).key;
}

/** Starts `tactful serve` on a free port; resolves once /health/live answers. */
export async function startApi(extraEnv = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tactful-ui-'));
  const feedbackFile = join(dir, 'feedback.jsonl');
  const child = spawn(PYTHON, ['-m', 'service.cli', 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    env: apiEnv({ TACTFUL_FEEDBACK_FILE: feedbackFile, ...extraEnv }),
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tactful serve exited: ${stderr}`);
    try {
      const r = await fetch(`${url}/health/live`);
      if (r.ok) break;
    } catch (_) {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`tactful serve did not start: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    port,
    feedbackFile,
    feedback() {
      if (!existsSync(feedbackFile)) return [];
      return readFileSync(feedbackFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    async analyze(body, key) {
      const headers = { 'content-type': 'application/json' };
      if (key) headers.authorization = `Bearer ${key}`;
      const r = await fetch(`${url}/v1/analyze`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`analyze ${r.status}`);
      return r.json();
    },
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch (_) {
        /* gone */
      }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PAGES = {
  '/textarea.html': `<!doctype html><html><head><meta charset="utf-8"><title>Compose (textarea)</title>
<style>body{font:14px system-ui;margin:24px}textarea{width:640px;height:220px;font:15px/1.5 system-ui;padding:10px}</style></head>
<body><h1>New message</h1><form onsubmit="return false"><p><input name="to" value="dana@example.com"></p>
<textarea id="compose" name="body" placeholder="Write your follow-up"></textarea></form></body></html>`,
  '/editable.html': `<!doctype html><html><head><meta charset="utf-8"><title>Compose (contenteditable)</title>
<style>body{font:14px system-ui;margin:24px}#compose{width:640px;min-height:220px;border:1px solid #ccc;padding:10px;font:15px/1.5 system-ui}</style></head>
<body><h1>New message</h1><div id="compose" contenteditable="true" role="textbox" aria-multiline="true"></div></body></html>`,
  '/plain.html': `<!doctype html><html><head><meta charset="utf-8"><title>Article</title></head>
<body><h1>An article</h1><p>No compose box here.</p><input type="search" placeholder="search"></body></html>`,
};

/** A tiny site with compose boxes (content scripts do not run on file:// by default). */
export async function startSite() {
  const server = createServer((req, res) => {
    const page = PAGES[new URL(req.url, 'http://x').pathname];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page || 'not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** Chromium with the unpacked extension loaded; returns {context, extensionId}. */
export async function launchWithExtension() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tactful-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // --headless=new below: the mode that runs extensions
    args: [...CHROME_ARGS, `--disable-extensions-except=${EXTENSION}`, `--load-extension=${EXTENSION}`],
    viewport: { width: 1280, height: 860 },
  });
  let [worker] = context.serviceWorkers();
  if (!worker) worker = await context.waitForEvent('serviceworker', { timeout: 15000 });
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    extensionId,
    worker,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Plain Chromium (no extension) for the playground and Swagger UI. */
export async function launchPlain() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS });
  return browser;
}

export async function setOptions(context, extensionId, { apiUrl, apiKey = '' }) {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/options.html`);
  await page.fill('[data-tactful="api-url"]', apiUrl);
  await page.fill('[data-tactful="api-key"]', apiKey);
  await page.click('[data-tactful="save"]');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Saved'));
  return page;
}

/** Waits until the page shows `expected` (an /v1/analyze answer): the score and one rule element per finding. */
export async function waitForAnalysis(page, expected, timeout = 5000) {
  const rules = expected.findings.map((f) => f.rule).sort();
  await page.waitForFunction(
    ([score, rules]) => {
      const host = document.querySelector('tactful-coach');
      const root = host && host.shadowRoot;
      if (!root) return false;
      const el = root.querySelector('[data-tactful="score"]');
      if (!el || el.textContent.trim() !== String(score) || el.getAttribute('data-stale') === 'true') return false;
      const got = [...root.querySelectorAll('[data-tactful-rule]')].map((n) => n.getAttribute('data-tactful-rule')).sort();
      return JSON.stringify(got) === JSON.stringify(rules);
    },
    [expected.score, rules],
    { timeout, polling: 20 },
  );
}

/** Records every state of the result element, to prove text streamed in before "final". */
export async function recordResult(page) {
  await page.evaluate(() => {
    const root = document.querySelector('tactful-coach').shadowRoot;
    const el = root.querySelector('[data-tactful="result"]');
    window.__tfResultLog = [];
    const snap = () => window.__tfResultLog.push({ state: el.getAttribute('data-state'), len: el.textContent.length });
    new MutationObserver(snap).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
  });
}

export { sleep };
