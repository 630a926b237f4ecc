// /playground and /schema (Swagger UI) in headless Chromium with every request that
// does not go to the API itself blocked and recorded: both must work offline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { REPORTS, launchPlain, recordResult, startApi, waitForAnalysis } from './harness.mjs';

const PUSHY =
  'Hi Dana, I have reached out three times and heard nothing. Our award-winning platform is the best on the market. ' +
  'This offer expires Friday - are you ready to move forward?';

describe('playground and API docs, offline', () => {
  let api;
  let browser;
  let context;
  const external = [];

  before(async () => {
    api = await startApi();
    browser = await launchPlain();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(api.url + '/') || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort();
    });
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
  });

  test('type a draft with context: score, underlines, curl; rewrite streams; use fills the draft', async () => {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${api.url}/playground`);
    await page.fill('#prospect-name', 'Dana Miles');
    await page.fill('#prospect-company', 'Miles Outfitters');
    await page.fill('#goal', 'keep stock balanced across three new stores');
    await page.fill('#touches', '3');
    await page.fill('#stage', 'proposal_sent');
    await page.fill('#sender-company', 'Stockwise');
    await page.click('[data-tactful="draft"]');
    await page.keyboard.type(PUSHY, { delay: 5 });
    const pausedAt = Date.now();
    const context_ = {
      prospect: { name: 'Dana Miles', company: 'Miles Outfitters' },
      goal: 'keep stock balanced across three new stores',
      history: { touches_since_reply: 3, stage: 'proposal_sent' },
      sender: { company: 'Stockwise' },
    };
    const expected = await api.analyze({ draft: { channel: 'email', body: PUSHY }, context: context_ });
    await waitForAnalysis(page, expected, 2000);
    const elapsed = Date.now() - pausedAt;
    assert.ok(elapsed <= 2000, `within 2 s of the pause (${elapsed} ms)`);
    assert.equal(await page.locator('[data-tactful-rule]').count(), expected.findings.length);
    const curl = await page.locator('[data-tactful="curl"]').innerText();
    assert.match(curl, /^curl -sS http:\/\/127\.0\.0\.1:\d+\/v1\/analyze/);
    assert.ok(curl.includes('"goal": "keep stock balanced across three new stores"'), 'curl carries the context');
    await page.screenshot({ path: join(REPORTS, 'playground-findings.png'), fullPage: true });

    await recordResult(page);
    await page.click('[data-tactful="rewrite"]');
    await page.locator('[data-tactful="result"][data-state="final"]').waitFor({ timeout: 15000 });
    const log = await page.evaluate(() => window.__tfResultLog);
    const firstFinal = log.findIndex((s) => s.state === 'final');
    assert.ok(log.slice(0, firstFinal).some((s) => s.state === 'streaming' && s.len > 0), 'streamed before final');
    assert.match(await page.locator('[data-tactful="curl"]').innerText(), /-H 'accept: text\/event-stream'/);
    const finalText = await page.locator('[data-tactful="result"]').innerText();
    await page.screenshot({ path: join(REPORTS, 'playground-rewrite.png'), fullPage: true });
    await page.click('[data-tactful="use"]');
    const norm = (s) => s.replace(/\s+/g, ' ').trim();
    await page.waitForFunction((want) => document.getElementById('draft').value.replace(/\s+/g, ' ').trim() === want, norm(finalText));
    const feedback = api.feedback();
    assert.equal(feedback.at(-1)?.outcome, 'accepted');
    assert.ok(errors.length === 0, `no page errors: ${errors.join('; ')}`);
    assert.deepEqual(external, [], 'no request left the API origin');
    await page.screenshot({ path: join(REPORTS, 'playground-used.png'), fullPage: true });
    await page.close();
  });

  test('a finding with suggestions offers a one-click fix', async () => {
    const page = await context.newPage();
    // Findings may gain `suggestions` (replacement texts): fake one to check the fix flow.
    await page.route('**/v1/analyze', async (route) => {
      const response = await route.fetch();
      const data = await response.json();
      for (const f of data.findings) if (f.rule === 'empty_check_in') f.suggestions = ['Here is one idea for your Mondays'];
      await route.fulfill({ response, json: data });
    });
    await page.goto(`${api.url}/playground`);
    await page.click('[data-tactful="draft"]');
    await page.keyboard.type('Hi Dana, just checking in. Are you free Tuesday?', { delay: 5 });
    const seg = page.locator('[data-tactful-rule="empty_check_in"] .tf-seg').first();
    await seg.waitFor({ timeout: 3000 });
    const box = await seg.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const fix = page.locator('[data-tactful="fix"]');
    await fix.waitFor({ timeout: 2000 });
    await page.screenshot({ path: join(REPORTS, 'playground-fix.png') });
    await fix.click();
    const value = await page.locator('#draft').inputValue();
    assert.ok(value.includes('Here is one idea for your Mondays'), value);
    assert.ok(!/just checking in/i.test(value), value);
    await page.close();
  });

  test('Swagger UI renders from local assets', async () => {
    const page = await context.newPage();
    await page.goto(`${api.url}/schema`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'Tactful' }).waitFor({ timeout: 10000 });
    await page.locator('.opblock-summary-path').filter({ hasText: '/v1/analyze' }).first().waitFor();
    await page.screenshot({ path: join(REPORTS, 'swagger-offline.png') });
    assert.deepEqual(external, [], 'no request left the API origin');
    await page.close();
  });
});
