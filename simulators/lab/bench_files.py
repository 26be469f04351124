"""``genai-demo bench files``: upload throughput of the service's files API, and its memory during a
large upload.

Method (printed with the figures): the AWS simulator (moto) runs in this process on a free port; the
service runs as its own process (``genai-demo service``, SQLite in a temporary folder, its bucket
provisioned at start), so its resident memory (``VmRSS`` of ``/proc/<pid>/status``, summed over the
process and its granian worker) is the service's alone. Each upload is a real ``POST /api/v1/files``
over HTTP (``multipart/form-data``, category ``return_documents``, a random PDF-looking body, an admin
token of a bench issuer the service trusts), one after the other from one client:

* **100 KB** x ``small`` uploads and **10 MB** x ``large`` uploads: files per second, MB/s and p50/p95
  latency per size (a 10 MB file goes up to S3 in two parts, 8 MiB each at most);
* **200 MB** once: the multipart body is written to a temporary file first and streamed from it
  (``requests`` with a file object), and the service's RSS is sampled every 50 ms before and during the
  upload; the figures are the RSS after the warm-up, before the 200 MB upload (after the 10 MB ones) and
  its peak during it. Flat (tens of MB, not hundreds) means the upload is streamed: Werkzeug spools the
  part to disk and the transfer manager holds at most four 8 MiB parts in memory.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from simulators.lab.bench_auth import ISSUER, Signer
from simulators.testing import free_port, running

MB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found.extend(_descendants(int(child)))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (granian runs the app in a worker process)."""
    total = 0.0
    for proc in _descendants(pid):
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:  # gone meanwhile
            continue
    return total


def _wait(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet: poll again until the deadline
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _wait_bucket(base: str, timeout: float = 30.0) -> None:
    """Until the service reports its bucket provisioned (``/health`` check ``files``, lifecycle ``ok``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check = requests.get(base + "/health", timeout=5).json()["checks"]["files"]
        if check["details"].get("lifecycle") == "ok":
            return
        time.sleep(0.2)
    raise RuntimeError(f"the service did not provision its bucket: {check}")


def _multipart_file(path: Path, size: int, boundary: str) -> None:
    """Write a multipart body with a ``size``-byte PDF-looking file part to ``path``, in 1 MiB chunks."""
    with path.open("wb") as out:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nreturn_documents\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n".encode()
        )
        left = size - 9
        while left > 0:
            chunk = os.urandom(min(MB, left))
            out.write(chunk)
            left -= len(chunk)
        out.write(f"\r\n--{boundary}--\r\n".encode())


def _timed_uploads(session: requests.Session, url: str, size: int, count: int) -> dict[str, Any]:
    times = []
    for _ in range(count):
        data = b"%PDF-1.7\n" + os.urandom(size - 9)
        started = time.perf_counter()
        resp = session.post(
            url, data={"category": "return_documents"}, files={"file": ("f.pdf", data)}, timeout=120
        )
        times.append(time.perf_counter() - started)
        if resp.status_code != 201 or resp.json()["sha256"] != hashlib.sha256(data).hexdigest():
            raise RuntimeError(f"upload failed: {resp.status_code} {resp.text[:200]}")
    total = sum(times)
    ordered = sorted(times)
    return {
        "files": count,
        "files_per_s": round(count / total, 2),
        "mb_per_s": round(count * size / MB / total, 2),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
    }


def bench_files(small: int = 50, large: int = 10, huge_mb: int = 200) -> dict[str, Any]:
    """Run the benchmark (see the module docstring), print figures and method, return them."""
    signer = Signer()
    token = signer.token("usr_bench_admin", "admin")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-files-") as folder, running("aws") as aws:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "AWS_ENDPOINT_URL": aws.url,
            "AWS_PROVISION_ON_START": "false",
            "S3_PROVISION_ON_START": "true",
            "AUTH_ISSUER": ISSUER,
            "AUTH_JWKS": signer.jwks,
            "FILES_MAX_BYTES": f'{{"return_documents": {(huge_mb + 1) * MB}}}',
            "RATELIMIT_DEFAULT": "100000/minute",
            "LOG_LEVEL": "WARNING",
        }
        log = Path(folder) / "service.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "simulators.lab.cli", "service", "--port", str(port)],
                env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base + "/health/live")
            _wait_bucket(base)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            url = base + "/api/v1/files"
            _timed_uploads(session, url, 100_000, 5)  # warm-up: connections, the bucket, imports
            results["rss_after_warmup_mb"] = round(rss_mb(proc.pid), 1)
            results["100KB"] = _timed_uploads(session, url, 100_000, small)
            results["10MB"] = _timed_uploads(session, url, 10 * MB, large)
            body = Path(folder) / "huge.multipart"
            boundary = "benchboundary7d9f"
            _multipart_file(body, huge_mb * MB, boundary)
            idle = rss_mb(proc.pid)
            peak = [idle]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_mb(proc.pid))
                    done.wait(0.05)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            with body.open("rb") as stream:
                resp = session.post(
                    url, data=stream, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                    timeout=600,
                )  # fmt: skip
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            if resp.status_code != 201:
                raise RuntimeError(f"200 MB upload failed: {resp.status_code} {resp.text[:300]}")
            results[f"{huge_mb}MB"] = {
                "seconds": round(elapsed, 2),
                "mb_per_s": round(huge_mb / elapsed, 1),
                "rss_idle_mb": round(idle, 1),
                "rss_peak_mb": round(peak[0], 1),
                "rss_growth_mb": round(peak[0] - idle, 1),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    _print(results, small, large, huge_mb)
    return results


def _print(results: dict[str, Any], small: int, large: int, huge_mb: int) -> None:
    print("Method: the service as its own process (genai-demo service, SQLite), the AWS simulator (moto) in")
    print("the bench process; sequential POST /api/v1/files over HTTP from one client, admin token;")
    print(f"{small} x 100 KB and {large} x 10 MB after 5 warm-up uploads; one {huge_mb} MB upload")
    print("streamed from a file while the service's VmRSS is sampled every 50 ms.")
    for name in ("100KB", "10MB"):
        r = results[name]
        rate = f"{r['files_per_s']:>7} files/s  {r['mb_per_s']:>7} MB/s"
        print(f"  {name:>6}: {rate}  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms")
    h = results[f"{huge_mb}MB"]
    print(f"  {huge_mb} MB: {h['seconds']} s ({h['mb_per_s']} MB/s)")
    print(
        f"  service RSS (process + worker): after warm-up {results['rss_after_warmup_mb']} MB, before the "
        f"{huge_mb} MB upload {h['rss_idle_mb']} MB, peak during it {h['rss_peak_mb']} MB "
        f"(+{h['rss_growth_mb']} MB)"
    )
