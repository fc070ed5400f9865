"""bin/run's supervision of web, worker and beat (README "Run it"): Ctrl-C is a normal stop, a process that
ends on its own is reported. Runs the real script in a copy of its layout, with stub programs in .venv/bin
(no install, no database): each stub records the signals it gets in var/signals.log."""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bin/run is a bash script")

STUB = '''#!{python}
import os, signal, socket, sys, time
name = os.path.basename(sys.argv[0])
args = " ".join(sys.argv[1:])
log = os.path.join(os.getcwd(), "var", "signals.log")
if name == "pip" or (name == "python" and "runserver" not in args and "fake_platforms" not in args):
    print("stub-key" if "Fernet" in args else "", end="")
    sys.exit(0)
role = "web" if "runserver" in args else "fake" if "fake_platforms" in args else args.split()[2]
def record(signum, _frame):
    with open(log, "a") as f:
        f.write(f"{{role}} {{signal.Signals(signum).name}}\\n")
    os._exit(1 if signum == signal.SIGINT else 0)  # a process that takes Ctrl-C for a failure
signal.signal(signal.SIGINT, record)
signal.signal(signal.SIGTERM, record)
with open(os.path.join(os.getcwd(), "var", "ready.log"), "a") as f:
    f.write(role + "\\n")
if role == "web":
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(os.environ["PORT"])))
    server.listen()
if role == os.environ.get("STUB_DIES"):
    time.sleep(0.5)
    sys.exit(3)
while True:
    time.sleep(0.05)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def layout(tmp_path):
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "run", tmp_path / "bin" / "run")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    for name in ("python", "pip", "celery"):
        (venv / name).write_text(STUB.format(python=sys.executable))
        (venv / name).chmod(0o755)
    return tmp_path


def _start(layout, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("PAYMENT_RAIL_KEYS",)}
    environment.update(PORT=str(_free_port()), PLATFORM_FAKE_PORT=str(_free_port()), **env)
    proc = subprocess.Popen([str(layout / "bin" / "run")], cwd=layout, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)  # its own group, as a terminal's job
    return proc


def _read_until(proc, text: str, timeout: float = 30) -> str:
    os.set_blocking(proc.stdout.fileno(), False)
    out, deadline = b"", time.monotonic() + timeout
    while text.encode() not in out and time.monotonic() < deadline and proc.poll() is None:
        out += proc.stdout.read() or b""
        time.sleep(0.05)
    os.set_blocking(proc.stdout.fileno(), True)
    return out.decode()


def test_ctrl_c_is_a_normal_stop(layout):
    """Ctrl-C (SIGINT to the terminal's foreground group) ends bin/run with status 0 and says it stopped; no
    process takes the Ctrl-C itself (each runs in its own group): bin/run stops them all with TERM, so none
    can end "on its own" before bin/run knows it was asked to stop."""
    proc = _start(layout)
    started = _read_until(proc, "API tokens")
    assert "API tokens" in started, started
    ready, deadline = layout / "var" / "ready.log", time.monotonic() + 20
    while time.monotonic() < deadline and not (ready.exists() and len(ready.read_text().split()) == 4):
        time.sleep(0.05)  # every stub has its signal handlers in place
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    out = started + out.decode()

    assert proc.returncode == 0, out
    assert "stopped (Ctrl-C)" in out and "ended normally" in out
    assert "unexpectedly" not in out
    signals = sorted((layout / "var" / "signals.log").read_text().split("\n")[:-1])
    assert signals == ["beat SIGTERM", "fake SIGTERM", "web SIGTERM", "worker SIGTERM"]


def test_a_process_that_ends_on_its_own_is_reported(layout):
    proc = _start(layout, STUB_DIES="beat")
    out, _ = proc.communicate(timeout=60)
    out = out.decode()

    assert proc.returncode == 1, out
    assert "a process stopped unexpectedly (status 3)" in out
    assert sorted((layout / "var" / "signals.log").read_text().split("\n")[:-1]) == [
        "fake SIGTERM", "web SIGTERM", "worker SIGTERM"]
