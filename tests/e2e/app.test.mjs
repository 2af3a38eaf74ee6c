// The web app end to end: real server, fake model, Debian chromium. Acceptance of issue #7:
// 1. slash command after enabling the greeter; 2. a streamed AI answer with a tool chip;
// 3. an approval card seen by two people, decided by the initiator; 4. disabling the plugin
// removes its command from completion; 5. a command the server refuses while busy (503
// SW_OVERLOADED) is sent again by the app with the same event_uuid and runs once. Each test works in its own tenant; screenshots of every
// screen go to $SW_E2E_SHOTS (default build/e2e-shots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  Server, FakeModel, launchBrowser, newPage, shot, signInPassword, signInToken, createRoom,
  enablePlugin, killAll, TEST_PLUGIN_DIR,
} from './lib.mjs';

let srv;
let fake;
let browser;
let n = 0;
const slug = (p) => `${p}-${process.pid}-${++n}`;

before(async () => {
  const extra = ['--ai-max-rounds', '3', '--outbound-allow', '127.0.0.1']; // the fake model
  if (existsSync(join(TEST_PLUGIN_DIR, 'recorder.so'))) extra.push('--plugin-dir', TEST_PLUGIN_DIR);
  srv = new Server(extra);
  fake = new FakeModel();
  await Promise.all([srv.start(), fake.start(), launchBrowser().then((b) => { browser = b; })]);
});

after(async () => {
  await Promise.allSettled([browser && browser.close(), fake && fake.stop()]);
  try {
    if (srv) await srv.stop(); // throws on a bad exit or a sanitizer report: fails the run
  } finally {
    killAll();
  }
});

test('1: admin enables the greeter, creates a room, /greet de Alice → Hallo, Alice!', async () => {
  const t = srv.tenant(slug('slash'));
  const page = await newPage(browser);
  await page.goto(srv.url + '/');
  await shot(page, '01-sign-in');
  await signInPassword(page, srv.url, t.slug, 'boss', 'pw-boss-123');
  await enablePlugin(page, 'scaiwave.greeter');
  await page.locator('article.plugin[data-plugin-id="scaiwave.greeter"] details.tool').first().click();
  await shot(page, '02-admin-plugins');
  await createRoom(page, 'Greetings');
  const composer = page.getByRole('combobox', { name: 'Message' });
  await composer.fill('/gr');
  await page.locator('#completion [role=option][data-name=greet]').waitFor();
  await shot(page, '03-slash-completion');
  await composer.press('Tab');
  assert.equal(await composer.inputValue(), '/greet ');
  await composer.pressSequentially('de Alice');
  await composer.press('Enter');
  await page.locator('.timeline li.msg.tool-result', { hasText: 'Hallo, Alice!' }).waitFor();
  await shot(page, '04-slash-result');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('2: an AI on the fake model streams its answer, with a chip for greet', async () => {
  const t = srv.tenant(slug('ai'));
  await fake.script(
    { tool_calls: [{ id: 'call_g1', name: 'greet', arguments: JSON.stringify({ language: 'de', name: 'Alice' }) }] },
    { content: 'In German you say: Hallo, Alice! Have a lovely day.', chunk_size: 5, delay_ms: 120 },
  );
  const page = await newPage(browser);
  await signInPassword(page, srv.url, t.slug, 'boss', 'pw-boss-123');
  await enablePlugin(page, 'scaiwave.greeter');
  // Admin → AI: create the AI on the fake model
  await page.getByRole('link', { name: 'AI', exact: true }).click();
  await page.locator('#new-ai').click();
  await page.getByLabel('Handle (local id)').fill('helper');
  await page.getByLabel('Display name').fill('Helper');
  await page.getByLabel('Model', { exact: true }).fill('fake-model');
  await page.getByLabel('Endpoint (base URL)').fill(fake.base);
  await page.getByLabel('API key').fill('sk-e2e-secret');
  await page.getByLabel('Temperature').fill('0.2');
  await shot(page, '05-admin-ai-form');
  await page.getByRole('button', { name: 'Create AI' }).click();
  await page.locator('article.ai-row[data-local-id=helper]').waitFor();
  await shot(page, '06-admin-ai-list');
  // a room with the AI, answering every message
  await createRoom(page, 'Ask the AI');
  await page.locator('#invite-menu summary').click();
  await page.locator('#invite-who').selectOption({ label: 'Helper (AI)' });
  await page.locator('#invite-menu button[type=submit]').click();
  await page.locator('#ai-mode:visible').waitFor();
  await page.locator('#ai-mode').selectOption('always');
  await page.getByText('AIs now answer every message.').waitFor();
  // record every length the streaming bubble goes through
  await page.evaluate(() => {
    window.__lens = [];
    new MutationObserver(() => {
      const b = document.querySelector('.timeline li.msg.streaming .body');
      if (b && !window.__lens.includes(b.textContent.length)) window.__lens.push(b.textContent.length);
    }).observe(document.querySelector('.timeline'), { subtree: true, childList: true, characterData: true });
  });
  const composer = page.getByRole('combobox', { name: 'Message' });
  await composer.fill('Say hello in German to Alice.');
  await composer.press('Enter');
  await page.locator('.timeline li.chip-row[data-tool=greet][data-status=ok]').waitFor();
  await page.locator('.timeline li.msg.streaming').waitFor();
  await page.locator('#stop:visible').waitFor();
  await shot(page, '07-ai-streaming');
  const final = page.locator('.timeline li.msg.ai:not(.streaming)', { hasText: 'In German you say: Hallo, Alice! Have a lovely day.' });
  await final.waitFor();
  await page.locator('#stop').waitFor({ state: 'hidden' });
  const lens = await page.evaluate(() => window.__lens);
  assert.ok(lens.filter((l) => l > 0).length >= 3, `the answer grew in place in several chunks: ${JSON.stringify(lens)}`);
  // the chip comes before the answer and expands to arguments and result
  const order = await page.evaluate(() => {
    const items = [...document.querySelectorAll('.timeline > li')];
    return [items.findIndex((li) => li.dataset.tool === 'greet' && li.classList.contains('chip-row')),
      items.findIndex((li) => li.classList.contains('ai') && li.textContent.includes('Have a lovely day'))];
  });
  assert.ok(order[0] >= 0 && order[0] < order[1], `chip before answer: ${order}`);
  await page.locator('li.chip-row[data-tool=greet] summary').click();
  await page.locator('li.chip-row[data-tool=greet] .chip-body', { hasText: 'Hallo, Alice!' }).waitFor();
  await shot(page, '08-ai-answer-chip-open');
  // the key never comes back to the browser
  await page.getByRole('link', { name: 'AI', exact: true }).click();
  await page.locator('article.ai-row[data-local-id=helper] button').click();
  assert.equal(await page.getByLabel('API key').inputValue(), '');
  assert.match(await page.getByLabel('API key').getAttribute('placeholder'), /\*{8}/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('3: a side-effecting call shows a card to both people; only the initiator decides', async (tc) => {
  assert.ok(existsSync(join(TEST_PLUGIN_DIR, 'recorder.so')), 'build/test-plugins/recorder.so is missing');
  const t = srv.tenant(slug('hitl'));
  // set-up through the API: the plugin, the AI, a room with both people and the AI
  await srv.api('POST', '/v1/admin/plugins/test.recorder/enable', t.bossToken, {});
  const ai = await srv.api('POST', '/v1/admin/participants/model', t.bossToken,
    { local_id: 'helper', display_name: 'Helper', model: 'fake-model', base_url: fake.base, api_key: 'sk-e2e' });
  const room = await srv.api('POST', '/v1/rooms', t.bossToken, { room_type: 'group', name: 'Shared room' });
  const mia = await srv.api('GET', '/v1/me', t.miaToken);
  await srv.api('POST', `/v1/rooms/${room.id}/invite`, t.bossToken, { participant_id: ai.participant_id });
  await srv.api('PUT', `/v1/rooms/${room.id}/ai/engagement`, t.bossToken, { mode: 'always' });
  await srv.api('POST', `/v1/rooms/${room.id}/invite`, t.bossToken, { participant_id: mia.participant_id });
  await fake.script(
    { tool_calls: [{ id: 'call_r1', name: 'record', arguments: JSON.stringify({ note: 'ship it' }) }] },
    { content: 'Recorded your note.', chunk_size: 8 },
  );

  const bossPage = await newPage(browser);
  const miaPage = await newPage(browser, { viewport: { width: 390, height: 780 } }); // a phone
  await signInPassword(bossPage, srv.url, t.slug, 'boss', 'pw-boss-123');
  await signInToken(miaPage, srv.url, t.miaToken);
  // mia joins with the room id from the invitation
  await miaPage.getByText('Join by id').click();
  await miaPage.getByLabel('Join a room').fill(room.id);
  await miaPage.locator('#join-room button[type=submit]').click();
  await miaPage.locator('.room-head h2', { hasText: 'Shared room' }).waitFor();
  await bossPage.getByRole('link', { name: /Shared room/ }).click();
  await bossPage.locator('.room-head h2', { hasText: 'Shared room' }).waitFor();

  const composer = bossPage.getByRole('combobox', { name: 'Message' });
  await composer.fill('Please record the note "ship it".');
  await composer.press('Enter');
  const card = (p, st) => p.locator(`.timeline li.card.approval[data-status=${st}]`);
  try {
    await card(bossPage, 'pending').waitFor();
  } catch (e) {
    await shot(bossPage, 'fail-3-boss');
    await shot(miaPage, 'fail-3-mia');
    throw new Error(`${e.message}\npage errors: ${JSON.stringify(bossPage.errors)}`);
  }
  await card(miaPage, 'pending').waitFor();
  assert.equal(await card(bossPage, 'pending').locator('button.approve').isEnabled(), true);
  assert.equal(await card(miaPage, 'pending').locator('button.approve').isDisabled(), true);
  assert.equal(await card(miaPage, 'pending').locator('button.reject').isDisabled(), true);
  await card(miaPage, 'pending').getByText('Boss is asked to decide.').waitFor();
  await card(bossPage, 'pending').getByText('record').first().waitFor();
  await shot(bossPage, '09-approval-initiator');
  await shot(miaPage, '10-approval-other-phone');
  await card(bossPage, 'pending').locator('button.approve').click();
  await card(bossPage, 'approved').waitFor();
  await card(miaPage, 'approved').waitFor();
  for (const p of [bossPage, miaPage]) {
    await p.locator('.timeline li.msg.ai:not(.streaming)', { hasText: 'Recorded your note.' }).waitFor();
  }
  await shot(bossPage, '11-approval-resolved-initiator');
  await shot(miaPage, '12-approval-resolved-other-phone');
  assert.deepEqual(bossPage.errors, []);
  assert.deepEqual(miaPage.errors, []);
  await bossPage.context().close();
  await miaPage.context().close();
});

test('4: disabling the greeter in Admin → Plugins removes /greet from completion', async () => {
  const t = srv.tenant(slug('disable'));
  const page = await newPage(browser);
  await signInPassword(page, srv.url, t.slug, 'boss', 'pw-boss-123');
  await enablePlugin(page, 'scaiwave.greeter');
  await createRoom(page, 'Completion');
  const composer = page.getByRole('combobox', { name: 'Message' });
  await composer.fill('/');
  await page.locator('#completion [role=option][data-name=greet]').waitFor();
  await composer.fill('/greet fr Zoë');
  await composer.press('Enter');
  await page.locator('.timeline li.msg.tool-result', { hasText: 'Bonjour, Zoë!' }).waitFor();
  // disable it
  await page.getByRole('link', { name: 'Plugins', exact: true }).click();
  const cardSel = 'article.plugin[data-plugin-id="scaiwave.greeter"]';
  await page.locator(`${cardSel} button.toggle`).click();
  await page.locator(`${cardSel}[data-enabled="0"]`).waitFor();
  await shot(page, '13-admin-plugin-disabled');
  await page.getByRole('link', { name: /Completion/ }).waitFor({ state: 'detached' }).catch(() => {});
  await page.getByRole('link', { name: 'Chat', exact: true }).click();
  await page.getByRole('link', { name: /Completion/ }).click();
  await page.locator('.room-head h2', { hasText: 'Completion' }).waitFor();
  await composer.fill('/');
  await page.locator('#completion [role=option]').first().waitFor(); // built-ins still complete
  await page.waitForFunction(() => !document.querySelector('#completion [data-name=greet]'));
  await composer.fill('/gr');
  await page.locator('#completion').waitFor({ state: 'hidden' });
  await shot(page, '14-completion-without-greet');
  // the audit screen filters
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await page.locator('table.audit tbody tr[data-status=ok]').first().waitFor();
  await page.getByLabel('Tool', { exact: true }).fill('no-such-tool');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No calls match.').waitFor();
  await page.getByLabel('Tool', { exact: true }).fill('greet');
  await page.getByLabel('Status', { exact: true }).selectOption('ok');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('table.audit tbody tr[data-status=ok]', { hasText: 'scaiwave.greeter' }).waitFor();
  await shot(page, '15-admin-audit');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('5: a command refused while the server is busy is sent again by the app and runs once', async () => {
  // its own server: one slash command at a time, and that one held on a FIFO until released
  assert.ok(existsSync(join(TEST_PLUGIN_DIR, 'recorder.so')), 'build/test-plugins/recorder.so is missing');
  const busy = new Server(['--plugin-dir', TEST_PLUGIN_DIR, '--max-slash-jobs', '1']);
  await busy.start();
  const gate = join(busy.tmp, 'gate');
  execFileSync('mkfifo', [gate]);
  let release = null;
  try {
    const t = busy.tenant(slug('busy'));
    await busy.api('POST', '/v1/admin/plugins/scaiwave.greeter/enable', t.bossToken, {});
    await busy.api('POST', '/v1/admin/plugins/test.recorder/enable', t.bossToken, {});
    const page = await newPage(browser);
    await signInPassword(page, busy.url, t.slug, 'boss', 'pw-boss-123');
    await createRoom(page, 'Busy');
    const room = (await busy.api('GET', '/v1/directory/rooms', t.bossToken)).find((r) => r.name === 'Busy');
    await busy.api('POST', `/v1/rooms/${room.id}/send`, t.bossToken,
      { content: { msgtype: 'swp.text', body: `/hold {"path": ${JSON.stringify(gate)}}` } });
    const composer = page.getByRole('combobox', { name: 'Message' });
    await composer.fill('/greet de Alice');
    await composer.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The server is busy; sending again' }).waitFor();
    await shot(page, '16-busy-sending-again');
    // let the held command finish (O_RDWR never blocks on a FIFO); the app's next try lands
    release = openSync(gate, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    writeSync(release, 'x');
    await page.locator('.timeline li.msg.tool-result', { hasText: 'Hallo, Alice!' }).waitFor();
    const msgs = await busy.api('GET', `/v1/rooms/${room.id}/messages?limit=100`, t.bossToken);
    assert.equal(msgs.filter((m) => m.content && m.content.body === '/greet de Alice').length, 1);
    // the refused tries show up as the browser's own "503" console lines, nothing else
    assert.deepEqual(page.errors.filter((e) => !/status of 503/.test(e)), []);
    await page.context().close();
  } finally {
    if (release === null) { // the test failed early: still let the held command finish
      release = openSync(gate, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
      writeSync(release, 'x');
    }
    await busy.stop();
    closeSync(release);
  }
});
