"""``meshplane demo`` ends by serving the marketplace, ``meshplane serve`` serves a mesh; both print the URL and
stop cleanly on Ctrl-C. Run as real processes: serving blocks, and Ctrl-C is a signal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from meshplane.cli.cmd_serve import bind
from meshplane.errors import ConflictError

URL = re.compile(r"(http://127\.0\.0\.1:\d+)")


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    env.pop("MESHPLANE_REGISTRY_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "meshplane.cli.app", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_url(proc: subprocess.Popen[str], timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        found = URL.search(line)
        if found:
            return found.group(1)
    proc.kill()
    raise AssertionError("no URL printed:\n" + "".join(seen) + (proc.stderr.read() if proc.stderr else ""))


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def test_demo_serves_the_marketplace_then_serve_serves_it_again(tmp_path):
    target = tmp_path / "acme"
    demo = start("demo", str(target), "--scale", "0.025", "--port", "0", cwd=tmp_path)
    url = wait_for_url(demo)
    try:
        home = httpx.get(url + "/", timeout=20)
        assert home.status_code == 200 and "customer_360" in home.text
        assert httpx.get(url + "/api/v1/products", timeout=20).status_code == 200
    finally:
        code, err = stop(demo)
    assert code == 0 and "stopped" in err, err

    served = start("serve", "--port", "0", cwd=target / "marketing")  # the mesh is found from a subfolder
    url = wait_for_url(served)
    try:
        page = httpx.get(url + "/dp/urn:dmb:dp:sales:orders:1", timeout=20)
        assert page.status_code == 200 and "<h1>orders" in page.text
        assert httpx.get(url + "/dp/urn:dmb:dp:sales:nothing:1", timeout=20).status_code == 404
    finally:
        code, err = stop(served)
    assert code == 0 and "stopped" in err, err


def test_a_taken_port_is_a_clear_error():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(ConflictError) as caught:
            bind("127.0.0.1", taken.getsockname()[1])
        assert "--port" in (caught.value.hint or "")
    finally:
        taken.close()


def test_serve_outside_a_mesh_says_so(cli, tmp_path):
    result = cli("serve", "--mesh", tmp_path, "--port", "0")
    assert result.code == 1 and "no mesh.yaml" in result.err and "meshplane demo" in result.err
