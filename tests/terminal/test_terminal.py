"""The quant-mcp command typed at a terminal: driven through a real pseudo-terminal, as a person would.

stdio ``serve`` at a terminal says it waits for an MCP client and how to try it; Ctrl-C (the
terminal's interrupt character, delivered by the line discipline to the whole foreground
process group) and SIGTERM stop every mode within a second, with status 0 and no traceback.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import httpx
import pytest
from mcp import Client

from tests.conftest import TEST_TOKEN
from tests.http.conftest import free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

STOP_WITHIN = 1.0  # seconds from the keystroke or signal to the process having exited


class Terminal:
    """``quant-mcp ARGS`` with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its own session, the pty its controlling terminal
            os.execve(sys.executable, [sys.executable, "-m", "quant_mcp", *args], base | (env or {}))
        self.screen = ""
        self.status: int | None = None

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child is gone and the pty closed
                    return
                self.screen += chunk.decode(errors="replace")

    def wait_for(self, text: str, seconds: float = 30) -> None:
        end = time.monotonic() + seconds
        while text not in self.screen and time.monotonic() < end and self.status is None:
            self.read(0.1)
            self.poll()
        assert text in self.screen, f"{text!r} never appeared; the terminal shows:\n{self.screen}"

    def poll(self) -> int | None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status

    def stop(self, how: str) -> float:
        """Ctrl-C or SIGTERM; the seconds until the process had exited (killed after 5 s)."""
        start = time.monotonic()
        if how == "ctrl-c":
            os.write(self.fd, b"\x03")
        else:
            os.kill(self.pid, signal.SIGTERM)
        while self.poll() is None and time.monotonic() - start < 5:
            self.read(0.02)
        took = time.monotonic() - start
        self.close()
        return took

    def close(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.read(0.2)
        os.close(self.fd)

    def assert_stopped_cleanly(self, took: float) -> None:
        assert self.status is not None and os.WIFEXITED(self.status), f"killed, not exited ({self.status}):\n{self.screen}"
        assert os.WEXITSTATUS(self.status) == 0, self.screen
        assert took < STOP_WITHIN, f"took {took:.2f} s to stop:\n{self.screen}"
        assert "Traceback" not in self.screen, self.screen


@pytest.fixture
def terminals():
    opened: list[Terminal] = []

    def open_terminal(*args: str, env: dict[str, str] | None = None) -> Terminal:
        terminal = Terminal(*args, env=env)
        opened.append(terminal)
        return terminal

    yield open_terminal
    for terminal in opened:
        if terminal.poll() is None:
            terminal.close()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_stdio_serve_at_a_terminal_says_what_it_waits_for_and_stops(terminals, how):
    terminal = terminals("serve", "--simulate")
    terminal.wait_for("Ctrl-C stops it")
    assert "waiting for an MCP client" in terminal.screen and "quant-mcp demo" in terminal.screen
    terminal.read(0.3)  # idle at the prompt, as a person reading it would be
    terminal.assert_stopped_cleanly(terminal.stop(how))


def test_stdio_serve_without_credentials_names_every_missing_setting(terminals):
    terminal = terminals("serve")
    terminal.wait_for("Ctrl-C stops it")
    assert "QUANT_API_TOKEN and QUANT_ORGANIZATION are not set" in terminal.screen
    terminal.assert_stopped_cleanly(terminal.stop("ctrl-c"))


def test_simulate_says_it_ignores_the_environments_credentials(terminals):
    terminal = terminals("serve", "--simulate", env={"QUANT_API_TOKEN": TEST_TOKEN, "QUANT_ORGANIZATION": "my-org"})
    terminal.wait_for("Ctrl-C stops it")
    assert "--simulate ignores QUANT_API_TOKEN and QUANT_ORGANIZATION" in terminal.screen
    assert TEST_TOKEN not in terminal.screen
    terminal.assert_stopped_cleanly(terminal.stop("ctrl-c"))


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
async def test_http_serve_stops_with_a_client_connected(terminals, how):
    port = free_port()
    terminal = terminals("serve", "--transport", "http", "--simulate", "--port", str(port))
    terminal.wait_for("MCP endpoint")
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    async with Client(f"{url}/mcp") as client:  # a session open, as a desktop host keeps one
        assert not (await client.call_tool("list_models", {})).is_error
        took = terminal.stop(how)
    terminal.assert_stopped_cleanly(took)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_simulator_stops(terminals, how):
    terminal = terminals("simulate", "--port", "0")
    terminal.wait_for("Ctrl-C to stop")
    terminal.assert_stopped_cleanly(terminal.stop(how))


def test_demo_stops_on_ctrl_c_midway(terminals):
    terminal = terminals("demo")
    terminal.wait_for("Connected over stdio")
    terminal.assert_stopped_cleanly(terminal.stop("ctrl-c"))
