// Typing pause -> underlines drawn, through the real extension in headless Chromium.
// Each round types a DISTINCT draft (as a user does, so the API's per-process memo of
// repeated bodies never answers), then measures:
//   pause_to_drawn  last keystroke -> score and rule elements match the API's answer
//                   (includes the extension's debounce, DEBOUNCE_MS in lib/coach.js)
//   roundtrip       request sent by the content script -> underlines drawn
//                   (service worker hop + HTTP + analysis + drawing; data-roundtrip-ms)
// Usage: make bench-ui   (or ROUNDS=40 node bench/ui_roundtrip.mjs). Writes
// bench/results/ui-roundtrip.json and prints a Markdown table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, launchWithExtension, setOptions, startApi, startSite, waitForAnalysis } from '../tests/ui/harness.mjs';

const ROUNDS = Number(process.env.ROUNDS || 30);
const OPENERS = ['Hi Dana,', 'Hello Sam,', 'Hey Priya,', 'Hi Marco,', 'Good morning Lee,'];
const MIDDLES = [
  'I have reached out three times and heard nothing.',
  'Just checking in on the proposal we sent.',
  'Our award-winning platform is the industry leader.',
  'I noticed your team opened two new stores last month.',
  'Per my last email, you said you would decide by Wednesday.',
  'Here is a short checklist other ops leads used for store transfers.',
];
const CLOSES = [
  'This offer expires Friday, are you ready to move forward?',
  'Would a 10-minute chat next week help?',
  'Reply YES to lock in the 15% discount.',
  'Who would be the right person to talk to about this now?',
];

function draft(i) {
  const pick = (list, k) => list[(i * k + Math.floor(i / list.length)) % list.length];
  return `${pick(OPENERS, 1)} ${pick(MIDDLES, 5)} ${pick(MIDDLES, 7)} ${pick(CLOSES, 3)} (ref ${1000 + i})`;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const [api, site] = await Promise.all([startApi(), startSite()]);
const browser = await launchWithExtension();
const pauses = [];
const trips = [];
try {
  (await setOptions(browser.context, browser.extensionId, { apiUrl: api.url })).close();
  const page = await browser.context.newPage();
  await page.goto(`${site.url}/textarea.html`);
  for (let i = 0; i < ROUNDS; i++) {
    const text = draft(i);
    await page.fill('#compose', '');
    await page.click('#compose');
    await page.keyboard.insertText(text.slice(0, -12));
    await page.keyboard.type(text.slice(-12), { delay: 10 }); // the last keystrokes, as typed
    const pausedAt = performance.now();
    const expected = await api.analyze({ draft: { channel: 'email', body: text } });
    await waitForAnalysis(page, expected, 5000);
    pauses.push(performance.now() - pausedAt);
    trips.push(Number(await page.evaluate(() => document.querySelector('tactful-coach').getAttribute('data-roundtrip-ms'))));
  }
} finally {
  await browser.close();
  await Promise.all([api.stop(), site.stop()]);
}

const row = (name, xs) => `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 90).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
const table = [
  '| measure (ms) | n | p50 | p90 | max |',
  '|---|---|---|---|---|',
  row('pause -> underlines drawn (incl. 450 ms debounce)', pauses),
  row('request -> underlines drawn (extension round trip)', trips),
].join('\n');
console.log(table);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench', 'results', 'ui-roundtrip.json'),
  JSON.stringify({ rounds: ROUNDS, debounce_ms: 450, pause_to_drawn_ms: pauses, roundtrip_ms: trips, at: new Date().toISOString() }, null, 2) + '\n',
);
