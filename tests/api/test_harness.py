"""The harness judges every server it started (issue #13, point 9): close() fails the owning test
when a run exited with anything but 0 after SIGTERM (unless the test declared the other ending
with kill9() or stop(expect_rc=...)), hung on SIGTERM, or left a sanitizer report in stderr."""
import signal

import pytest

from conftest import Server, ServerError


def test_clean_stop_passes():
    s = Server().start()
    assert s.stop() == 0
    s.close()


def test_undeclared_kill_fails_close():
    s = Server().start()
    s.proc.kill()  # a crash the test did not announce
    s.proc.wait(timeout=10)
    with pytest.raises(ServerError, match="exited with -9, expected 0"):
        s.close()


def test_declared_kill9_passes_and_the_next_run_is_judged_again():
    s = Server().start()
    assert s.kill9() == -signal.SIGKILL
    s.start()  # the same data dir after the crash
    s.close()  # the second run stops with SIGTERM and exits 0


def test_unexpected_exit_code_fails_close():
    s = Server().start()
    assert s.stop(expect_rc=3) == 0  # declared 3, got 0: the run did not end as announced
    with pytest.raises(ServerError, match="exited with 0, expected 3"):
        s.close()


@pytest.mark.parametrize("report", [
    "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010",
    "src/x.c:10:5: runtime error: signed integer overflow",
    "==1==ERROR: LeakSanitizer: detected memory leaks",
], ids=["asan", "ubsan", "lsan"])
def test_sanitizer_report_in_stderr_fails_close(report):
    s = Server().start()
    with open(s.stderr_path, "a") as f:  # what the sanitizer runtime would have written
        f.write(report + "\n")
    with pytest.raises(ServerError, match="sanitizer report"):
        s.close()


def test_sanitizer_report_of_a_cli_command_fails():
    """Server.cli checks the command's stderr too, also with check=False."""
    import conftest
    s = Server()
    old = conftest.BIN
    conftest.BIN = "/bin/sh"  # stands in for a sanitizer build's CLI that leaks and exits 0
    try:
        with pytest.raises(ServerError, match="sanitizer report"):
            s.cli("-c", "echo '==1==ERROR: LeakSanitizer: detected memory leaks' >&2", check=False)
    finally:
        conftest.BIN = old
        s.close()
