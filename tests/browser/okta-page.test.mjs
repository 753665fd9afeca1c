// The Integration Hub's Okta page in headless Chromium, as an administrator uses it: sign in with the
// bootstrap token, fill the Okta settings, enable SCIM, save, map a group (with its preview),
// generate a SCIM token (shown once, copied), run Save & Test and read the results.
//
// It starts a stackflow-server of its own (STACKFLOW_SERVER, else target/release, else target/debug)
// on a free loopback port in a temporary directory, and stops it at the end. The Okta org is made
// unreachable on purpose (okta.base_url_override points at a closed loopback port), so Save & Test's
// expected result is a failed reachability check with its fix. SCREENSHOTS=1 writes PNGs into
// docs/screenshots/.
//
//   node --test okta-page.test.mjs      (npm test)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const ADMIN_TOKEN = 'browser-test-admin-token-0123456789abcdef';
const API_TOKEN = '00browser-okta-api-token-never-rendered';
const OIDC_SECRET = 'browser-oidc-client-secret-never-rendered';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS === '1' ? path.join(root, 'docs', 'screenshots') : null;

function serverBinary() {
  if (process.env.STACKFLOW_SERVER) return path.resolve(process.env.STACKFLOW_SERVER);
  for (const profile of ['release', 'debug']) {
    const candidate = path.join(root, 'target', profile, 'stackflow-server');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no stackflow-server binary: run `cargo build --release -p stackflow-server` or set STACKFLOW_SERVER');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(base, server) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`stackflow-server exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('stackflow-server did not answer /healthz within 20 s');
}

let workDir;
let server;
let serverLog = '';
let browser;
let base;

before(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'stackflow-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Only this test's configuration: no STACKFLOW_* from the caller's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STACKFLOW')));
  Object.assign(env, {
    STACKFLOW__SERVER__BIND: `127.0.0.1:${port}`,
    STACKFLOW__ADMIN__BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    STACKFLOW__LOG__LEVEL: 'warn',
    // Nothing listens on port 1: Save & Test finds the Okta org unreachable, at once.
    STACKFLOW__OKTA__BASE_URL_OVERRIDE: 'http://127.0.0.1:1',
    STACKFLOW__OKTA__TIMEOUT_MS: '3000',
  });
  server = spawn(serverBinary(), [], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitForHealth(base, server);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function shot(target, name) {
  if (SHOTS) await target.screenshot({ path: path.join(SHOTS, name), animations: 'disabled' });
}

test('an administrator connects Okta on the Integration Hub page', { timeout: 60_000 }, async (t) => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('console', (m) => {
    // The deliberately wrong sign-in is answered 401, which Chromium logs: that one is expected.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  // Submits a form by clicking `button` and waits for the Post/Redirect/Get round trip to load.
  const submit = async (button) => {
    await Promise.all([page.waitForEvent('load'), button.click()]);
  };
  const seen = [];
  const remember = async () => seen.push(await page.content());

  try {
    await t.test('the page needs a sign-in', async () => {
      const res = await page.goto(`${base}/admin/integrations/okta`);
      assert.equal(new URL(page.url()).pathname, '/admin/login');
      assert.match(res.headers()['content-security-policy'], /default-src 'none'/);
      await shot(page, 'okta-login.png');
      await page.getByLabel('Admin token').fill('not-the-admin-token-at-all');
      await submit(page.getByRole('button', { name: 'Sign in' }));
      assert.match(await page.locator('#login-error').innerText(), /Wrong admin token/);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await submit(page.getByRole('button', { name: 'Sign in' }));
      assert.equal(new URL(page.url()).pathname, '/admin/integrations/okta');
      await page.getByRole('heading', { name: 'Okta integration' }).waitFor();
    });

    await t.test('every form control has a label', async () => {
      const unlabelled = await page.$$eval('input:not([type=hidden]), select', (els) =>
        els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id || e.name));
      assert.deepEqual(unlabelled, []);
    });

    await t.test('settings are saved and secrets read back as set', async () => {
      await page.getByLabel('Okta Domain').fill('https://acme-ci.okta.com/');
      await page.getByLabel(/^API Token/).fill(API_TOKEN);
      await page.getByLabel('OIDC Client ID').fill('0oa1browsertest');
      await page.getByLabel(/^OIDC Client Secret/).fill(OIDC_SECRET);
      await page.getByLabel('SCIM Enabled').check();
      assert.equal(await page.getByLabel('Deactivate on Offboard').isChecked(), true, 'seed default: on');
      await submit(page.getByRole('button', { name: 'Save', exact: true }));
      await remember();
      assert.match(await page.locator('#settings-messages').innerText(), /Settings saved/);
      assert.equal(await page.getByLabel('Okta Domain').inputValue(), 'acme-ci.okta.com');
      assert.equal(await page.locator('[data-secret=api_token]').innerText(), 'set');
      assert.equal(await page.locator('[data-secret=oidc_client_secret]').innerText(), 'set');
      assert.equal(await page.getByLabel(/^API Token/).inputValue(), '', 'a secret is never filled in');
      assert.equal(await page.getByLabel('SCIM Enabled').isChecked(), true);
      await shot(page.locator('#settings'), 'okta-settings.png');
    });

    await t.test('a group mapping is previewed, then added', async () => {
      await page.getByLabel('Okta group (display name, as pushed)').fill('Finance-Leads');
      await page.getByLabel('StackFlow role').selectOption('itsm_manager');
      await submit(page.locator('#mappings').getByRole('button', { name: 'Preview', exact: true }));
      const preview = page.locator('#mapping-preview');
      assert.match(await preview.innerText(), /Preview.*Finance-Leads → itsm_manager would be created/s);
      assert.match(await preview.innerText(), /No user would change role/);
      assert.equal(await page.locator('#mapping-table').getByText('Finance-Leads').count(), 0, 'a preview writes nothing');
      await shot(page.locator('#mappings'), 'okta-mapping-preview.png');
      await submit(page.getByRole('button', { name: 'Add mapping' }));
      assert.match(await page.locator('#mapping-preview').innerText(), /Finance-Leads → itsm_manager created/);
      const row = page.locator('#mapping-table tr', { hasText: 'Finance-Leads' });
      assert.match(await row.innerText(), /itsm_manager/);
    });

    await t.test('a SCIM token is generated, shown once and copied', async () => {
      assert.match(await page.locator('#generate-warning').innerText(), /stop working at once/);
      await submit(page.getByRole('button', { name: 'Generate SCIM token' }));
      const token = await page.locator('#new-token').inputValue();
      assert.match(token, /^sfscim_[0-9a-f]{64}$/);
      assert.equal(await page.locator('#new-token').isVisible(), true);
      await page.getByRole('button', { name: 'Copy' }).click();
      await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
      await shot(page.locator('#scim-token'), 'okta-scim-token.png');
      await page.reload();
      assert.equal(await page.locator('#new-token').count(), 0, 'shown once');
      assert.ok(!(await page.content()).includes(token));
      assert.match(await page.locator('#token-status').innerText(), /Token\s+set/);
    });

    await t.test('Save & Test lists each check with its fix', async () => {
      await submit(page.getByRole('button', { name: 'Save & Test' }));
      await remember();
      assert.equal(new URL(page.url()).hash, '#results');
      const api = page.locator('#test-results li[data-check=okta_api]');
      assert.equal(await api.getAttribute('data-status'), 'failed');
      assert.match(await api.innerText(), /FAILED[\s\S]*domain unreachable[\s\S]*Fix: check the Okta domain/i);
      const scim = page.locator('#test-results li[data-check=scim]');
      assert.equal(await scim.getAttribute('data-status'), 'ok');
      assert.ok((await page.locator('#test-results li').count()) >= 4);
      await shot(page.locator('#results'), 'okta-save-and-test.png');
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'okta-page.png'), fullPage: true });
    });

    await t.test('no secret was ever rendered, and nothing broke the policy', async () => {
      for (const html of seen) {
        assert.ok(!html.includes(API_TOKEN) && !html.includes(OIDC_SECRET), 'a secret was rendered');
      }
      assert.deepEqual(problems, [], 'console errors (e.g. Content-Security-Policy violations)');
    });

    await t.test('signing out ends the session', async () => {
      await submit(page.getByRole('button', { name: 'Sign out' }));
      assert.equal(new URL(page.url()).pathname, '/admin/login');
      await page.goto(`${base}/admin/integrations/okta`);
      assert.equal(new URL(page.url()).pathname, '/admin/login');
    });
  } catch (e) {
    console.error(`stackflow-server output:\n${serverLog}`);
    throw e;
  } finally {
    await context.close();
  }
});
