// The e2e harness judges every server it started (issue #13, point 9): Server.stop() throws when
// the server did not exit 0 on SIGTERM (unless the test declared another ending) or left a
// sanitizer report in its stderr — so the hook or test that stops it fails. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from './lib.mjs';

test('a clean SIGTERM stop passes', async () => {
  const s = await new Server().start();
  await s.stop();
});

test('an undeclared crash fails stop()', async () => {
  const s = await new Server().start();
  s.proc.kill('SIGKILL'); // a crash the test did not announce
  await assert.rejects(s.stop(), /exited with SIGKILL, expected 0/);
});

test('a declared kill -9 passes', async () => {
  const s = await new Server().start();
  await s.stop({ signal: 'SIGKILL' });
});

test('a sanitizer report in stderr fails stop()', async () => {
  for (const report of ['==1==ERROR: AddressSanitizer: heap-use-after-free', 'x.c:1:2: runtime error: shift',
    '==1==ERROR: LeakSanitizer: detected memory leaks']) {
    const s = await new Server().start();
    s.proc.stderr.emit('data', Buffer.from(report + '\n')); // what the sanitizer runtime would print
    await assert.rejects(s.stop(), /sanitizer report in stderr/);
  }
});
