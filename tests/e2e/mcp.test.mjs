// Admin → Plugins → MCP servers end to end (issue #15, acceptance 2's "visible in Admin → Plugins"):
// the real server (stdio MCP allowed for `node`), Debian's chromium, and the real
// @modelcontextprotocol/server-everything from tests/mcp (run.sh installs it). 1: a stdio server
// added through the form becomes ready with its tools listed, its env value never reaches the page,
// its plugin mcp.<id> is in the plugin list with an MCP tag and can be enabled; a command the
// operator did not allow is refused inline. 2: a server that keeps crashing ends disabled with its
// reason shown without a reload; Reconnect shows it connecting; Delete (confirmed) removes it and
// its plugin. Each test works in its own tenant; screenshots go to $SW_E2E_SHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Server, launchBrowser, newPage, shot, signInPassword, killAll, REPO } from './lib.mjs';

const EVERYTHING = join(REPO, 'tests', 'mcp', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const SECRET = 'e2e-secret-value-7f3a';

let srv;
let browser;
let n = 0;
const slug = (p) => `${p}-${process.pid}-${++n}`;

before(async () => {
  assert.ok(existsSync(EVERYTHING), `${EVERYTHING} is missing: bash tests/mcp/install.sh`);
  srv = new Server(['--mcp-stdio-allow', 'node', '--outbound-allow', '127.0.0.1']);
  await Promise.all([srv.start(), launchBrowser().then((b) => { browser = b; })]);
});

after(async () => {
  await Promise.allSettled([browser && browser.close()]);
  try {
    if (srv) await srv.stop(); // exit 0 with MCP children running, no sanitizer report
  } finally {
    killAll();
  }
});

async function openPlugins(page, t) {
  await signInPassword(page, srv.url, t.slug, 'boss', 'pw-boss-123');
  await page.getByRole('link', { name: 'Plugins', exact: true }).click();
  await page.getByRole('heading', { name: 'MCP servers' }).waitFor();
}

/** Fills and submits the Add MCP server form for a stdio server. */
async function addStdio(page, id, command, args, env = '') {
  await page.getByRole('button', { name: 'Add MCP server' }).click();
  const form = page.locator('#mcp-form');
  await form.getByLabel('Server id').fill(id);
  await form.getByLabel('Transport').selectOption('stdio');
  await form.getByLabel('Command', { exact: true }).fill(command);
  await form.getByLabel('Arguments').fill(args.join('\n'));
  if (env) await form.getByLabel('Environment').fill(env);
  await form.getByLabel('Timeout (ms)').fill('20000');
  await form.getByRole('button', { name: 'Add server' }).click();
  return form;
}

/** Records every status the card of `id` shows (cards are replaced on each poll). */
async function recordStatuses(page, id) {
  await page.evaluate((mcpId) => {
    window.__mcpSeen = [];
    const note = () => {
      const a = document.querySelector(`article.mcp-server[data-mcp-id="${mcpId}"]`);
      const st = a && a.dataset.status;
      if (st && window.__mcpSeen[window.__mcpSeen.length - 1] !== st) window.__mcpSeen.push(st);
    };
    note();
    new MutationObserver(note).observe(document.querySelector('.mcp-list'), { subtree: true, childList: true, attributes: true });
  }, id);
}

test('1: a stdio server-everything added through the form is ready with its tools; its plugin is listed with an MCP tag and can be enabled', async () => {
  const t = srv.tenant(slug('mcp'));
  const page = await newPage(browser);
  await openPlugins(page, t);
  await page.locator('.mcp-list', { hasText: 'No MCP servers yet.' }).waitFor();

  // the operator allowed `node` only: bash is refused, the error is shown inline in the form
  const refused = await addStdio(page, 'shell', 'bash', ['-c', 'true']);
  const formErr = refused.locator('.error');
  await formErr.waitFor();
  assert.match(await formErr.innerText(), /mcp-stdio-allow|MCP_STDIO_ALLOW/i);
  await page.locator('section.mcp-servers').scrollIntoViewIfNeeded();
  await shot(page, '20-mcp-form-refused');
  await refused.getByRole('button', { name: 'Cancel' }).click();

  await addStdio(page, 'everything', 'node', [EVERYTHING], `EVERYTHING_TOKEN=${SECRET}\n`);
  const card = page.locator('article.mcp-server[data-mcp-id="everything"]');
  await card.waitFor();
  await card.scrollIntoViewIfNeeded();
  await shot(page, '21-mcp-connecting');
  await page.locator('article.mcp-server[data-mcp-id="everything"][data-status="ready"]').waitFor({ timeout: 60000 });
  await card.locator('.badge.status', { hasText: 'ready' }).waitFor();
  for (const tool of ['echo', 'get-sum']) // this server-everything's add is get-sum
    await card.locator(`.mcp-tools li[data-tool="${tool}"]`).waitFor();
  assert.match(await card.locator('.tool-count').innerText(), /^\d+ tools/);
  assert.match(await card.locator('.mcp-where').innerText(), /^node .*server-everything/);
  // the env value is write-only: the key is shown, the value never reaches the page
  await card.locator('code.secret-key', { hasText: 'EVERYTHING_TOKEN' }).waitFor();
  assert.equal((await page.content()).includes(SECRET), false, 'the env value is on the page');
  await card.scrollIntoViewIfNeeded();
  await shot(page, '22-mcp-ready');

  // the plugin mcp.everything is in the plugin list (it follows the ready status) and enables
  const plugin = page.locator('article.plugin[data-plugin-id="mcp.everything"]');
  await plugin.locator('.badge.mcp', { hasText: 'MCP' }).waitFor();
  await plugin.locator('details.tool[data-tool="echo"]').waitFor();
  await plugin.locator('button.toggle').click();
  await page.locator('article.plugin[data-plugin-id="mcp.everything"][data-enabled="1"]').waitFor();
  const listed = await srv.api('GET', '/v1/admin/plugins', t.bossToken);
  const p = listed.find((x) => x.id === 'mcp.everything');
  assert.ok(p && p.enabled, 'mcp.everything is enabled in the API');
  await plugin.scrollIntoViewIfNeeded();
  await shot(page, '23-mcp-plugin-enabled');
  // the one refused registration (bash) is the only failed request the browser saw
  assert.deepEqual(page.errors, ['console: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
  await page.context().close();
});

test('2: a server that keeps crashing is shown disabled with its reason; Reconnect shows connecting; Delete removes it', async () => {
  const t = srv.tenant(slug('crash'));
  const page = await newPage(browser);
  await openPlugins(page, t);
  await addStdio(page, 'crashy', 'node', ['-e', 'process.exit(3)']);
  const card = page.locator('article.mcp-server[data-mcp-id="crashy"]');
  await card.waitFor();
  // no reload: the section polls while the server is connecting or failed (retry pending)
  await page.locator('article.mcp-server[data-mcp-id="crashy"][data-status="disabled"]').waitFor({ timeout: 120000 });
  const reason = card.locator('.status-reason');
  await reason.waitFor();
  assert.match(await reason.innerText(), /^Disabled: \S/);
  assert.match(await card.locator('.restarts').innerText(), /^[1-9]\d* in the last 10 minutes/);
  await card.scrollIntoViewIfNeeded();
  await shot(page, '24-mcp-disabled');
  const api = await srv.api('GET', '/v1/admin/mcp-servers/crashy', t.bossToken);
  assert.equal(api.status, 'disabled');
  assert.ok(api.status_reason && (await reason.innerText()).includes(api.status_reason), 'the API reason is the one shown');

  await recordStatuses(page, 'crashy');
  await card.getByRole('button', { name: 'Reconnect crashy' }).click();
  await page.waitForFunction(() => window.__mcpSeen.includes('connecting'));
  await card.scrollIntoViewIfNeeded();
  await shot(page, '25-mcp-reconnecting');

  // its plugin is listed too, with the server's status, until the registration is deleted
  await page.locator('article.plugin[data-plugin-id="mcp.crashy"] .badge.mcp').waitFor();
  await card.getByRole('button', { name: 'Delete crashy' }).click();
  await card.getByRole('group', { name: 'Confirm deleting crashy' }).waitFor();
  await card.scrollIntoViewIfNeeded();
  await shot(page, '26-mcp-delete-confirm');
  await card.getByRole('button', { name: 'Yes, delete' }).click();
  await card.waitFor({ state: 'detached' });
  await page.locator('.mcp-list', { hasText: 'No MCP servers yet.' }).waitFor();
  await page.locator('article.plugin[data-plugin-id="mcp.crashy"]').waitFor({ state: 'detached' });
  const left = await srv.api('GET', '/v1/admin/mcp-servers', t.bossToken);
  assert.deepEqual(left, []);
  await page.locator('section.mcp-servers').scrollIntoViewIfNeeded();
  await shot(page, '27-mcp-deleted');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
