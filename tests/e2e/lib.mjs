// Shared machinery of the end-to-end tests: the real `scaiwave` server on a free port with its own
// data dir, the fake model (tests/fakes/fake_llm.py), Debian's chromium through playwright-core,
// screenshots, and cleanup of every process (also when a test fails or the runner is killed).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const BIN = process.env.SCAIWAVE_BIN || join(REPO, 'build', 'scaiwave');
export const TEST_PLUGIN_DIR = process.env.SW_TEST_PLUGIN_DIR || join(REPO, 'build', 'test-plugins');
export const SHOTS = process.env.SW_E2E_SHOTS || join(REPO, 'build', 'e2e-shots');
const FAKE = join(REPO, 'tests', 'fakes', 'fake_llm.py');
const CHROMIUM = process.env.SW_CHROMIUM || '/usr/bin/chromium';

const children = new Set();
export function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function readPort(file) {
  try {
    const t = readFileSync(file, 'utf8');
    return t.endsWith('\n') && /^\d+\n$/.test(t) ? Number(t) : 0;
  } catch { return 0; }
}

async function waitExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, ms))]);
}

export class Server {
  constructor(extraArgs = []) {
    this.tmp = mkdtempSync(join(tmpdir(), 'sw-e2e-'));
    this.dataDir = join(this.tmp, 'data');
    this.env = { ...process.env, SW_PASSWORD_FAST: '1' };
    for (const k of Object.keys(this.env)) if (k.startsWith('SCAIWAVE_')) delete this.env[k];
    this.extraArgs = extraArgs;
    this.stderr = '';
  }

  async start() {
    const portFile = join(this.tmp, 'port');
    const args = ['serve', '--port', '0', '--data-dir', this.dataDir, '--port-file', portFile,
      '--web-dir', join(REPO, 'web'), '--access-log', '0', ...this.extraArgs];
    this.proc = spawn(BIN, args, { cwd: this.tmp, env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(this.proc);
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-20000); });
    this.port = await waitFor(() => {
      if (this.proc.exitCode !== null) throw new Error(`scaiwave exited ${this.proc.exitCode}: ${this.stderr}`);
      return readPort(portFile);
    }, 30000, 'the server port file');
    this.url = `http://127.0.0.1:${this.port}`;
    this.adminToken = readFileSync(join(this.dataDir, 'admin.token'), 'utf8').trim();
    return this;
  }

  cli(args, input) {
    return execFileSync(BIN, [...args, '--data-dir', this.dataDir], { env: this.env, cwd: this.tmp, input: input ?? '', encoding: 'utf8', timeout: 30000 });
  }

  /** A tenant with an admin (boss) and a member (mia), both with password "pw-<name>-123". */
  tenant(slug) {
    this.cli(['tenant', 'create', slug]);
    this.cli(['user', 'create', '--tenant', slug, '--user', 'boss', '--display-name', 'Boss', '--admin', '--password-stdin'], 'pw-boss-123\n');
    this.cli(['user', 'create', '--tenant', slug, '--user', 'mia', '--display-name', 'Mia', '--password-stdin'], 'pw-mia-123\n');
    return {
      slug,
      bossToken: this.cli(['token', 'create', '--tenant', slug, '--user', 'boss']).trim(),
      miaToken: this.cli(['token', 'create', '--tenant', slug, '--user', 'mia']).trim(),
    };
  }

  async api(method, path, token, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const j = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(j)}`);
    return j.data;
  }

  /** Stops the server; throws when it did not exit 0 on SIGTERM or wrote a sanitizer report. */
  async stop() {
    const problems = [];
    if (this.proc) {
      this.proc.kill('SIGTERM');
      await waitExit(this.proc, 15000);
      if (this.proc.exitCode === null && this.proc.signalCode === null) {
        this.proc.kill('SIGKILL');
        problems.push('no exit within 15 s of SIGTERM');
      } else if (this.proc.exitCode !== 0) {
        problems.push(`exit ${this.proc.exitCode ?? this.proc.signalCode} after SIGTERM`);
      }
      await new Promise((r) => (this.proc.stderr.readableEnded ? r() : this.proc.stderr.once('end', r)));
      children.delete(this.proc);
      if (/^(==\d+==ERROR: |SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|\S+:\d+:\d+: runtime error: )/m.test(this.stderr)) {
        problems.push('sanitizer report in stderr');
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
    if (problems.length) throw new Error(`scaiwave: ${problems.join('; ')}\n${this.stderr.slice(-4000)}`);
  }
}

export class FakeModel {
  async start() {
    this.tmp = mkdtempSync(join(tmpdir(), 'sw-e2e-fake-'));
    const pf = join(this.tmp, 'port');
    this.proc = spawn('/usr/bin/python3', [FAKE, '--port', '0', '--port-file', pf], { stdio: 'ignore' });
    children.add(this.proc);
    this.port = await waitFor(() => {
      if (this.proc.exitCode !== null) throw new Error('the fake model exited');
      return readPort(pf);
    }, 15000, 'the fake model');
    this.base = `http://127.0.0.1:${this.port}/v1`;
    return this;
  }

  async call(method, path, body) {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  }

  async script(...responses) {
    await this.call('POST', '/_reset', {});
    await this.call('POST', '/_script', { responses });
  }

  requests() { return this.call('GET', '/_requests'); }

  async stop() {
    if (this.proc) {
      this.proc.kill('SIGTERM');
      await waitExit(this.proc, 10000);
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
      children.delete(this.proc);
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/deps.sh)`);
  // playwright gives every launch a fresh temporary profile (its own --user-data-dir) and removes it
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/** A new page that fails the test on uncaught page errors (collected in page.errors). */
export async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push('console: ' + m.text()); });
  page.setDefaultTimeout(15000);
  return page;
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

export async function signInPassword(page, url, tenant, user, password) {
  await page.goto(url + '/');
  await page.getByLabel('Tenant', { exact: true }).fill(tenant);
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#live-state[data-state=live]').waitFor();
}

export async function signInToken(page, url, token) {
  await page.goto(url + '/');
  await page.getByText('Use an access token').click();
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.locator('#live-state[data-state=live]').waitFor();
}

export async function createRoom(page, name) {
  await page.getByRole('link', { name: 'Chat', exact: true }).click();
  await page.getByLabel('New room').fill(name);
  await page.locator('#create-room button[type=submit]').click();
  await page.locator('.room-head h2', { hasText: name }).waitFor();
}

export async function enablePlugin(page, id) {
  await page.getByRole('link', { name: 'Plugins', exact: true }).click();
  const card = page.locator(`article.plugin[data-plugin-id="${id}"]`);
  await card.waitFor();
  if ((await card.getAttribute('data-enabled')) !== '1') {
    await card.locator('button.toggle').click();
    await page.locator(`article.plugin[data-plugin-id="${id}"][data-enabled="1"]`).waitFor();
  }
}
