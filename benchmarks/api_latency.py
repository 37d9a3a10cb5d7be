"""The simulator's API server against DESIGN.md's budgets (section 9), with real kubectl 1.37.

Run: `python benchmarks/api_latency.py` (needs network once, to fetch kubectl; see
tests/kubectl_binary.py). Figures, each a median:

- server start: `ensure_running()` from no process to a served `/readyz` (budget < 0.5 s);
- kubectl: `kubectl get pods` minus `kubectl version --client` (its own start-up), 20 runs
  each, interleaved (budget < 20 ms added);
- server time per request: a list of a lab namespace's Pods over one kept-alive connection,
  200 requests (budget < 5 ms);
- watch: a ConfigMap created, until its ADDED event arrives on an open watch (budget < 50 ms);
- `kubectl apply -f start/` of lab 02 (budget < 0.5 s);
- a full lab check through the API (KubeCluster), lab 02 solved (budget < 100 ms).
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> int:
    from tests.kubectl_binary import kubectl_path, kubectl_problem

    kubectl = kubectl_path()
    if kubectl is None:
        print(f"kubectl 1.37 unavailable: {kubectl_problem()}")
        return 1
    failed = False
    with tempfile.TemporaryDirectory() as home:
        os.environ["KUBE_TUTOR_HOME"] = home
        os.environ.pop("KUBE_TUTOR_SIM", None)
        from tutor.cluster.sim.api import control
        from tutor.cluster.sim.api.credentials import Credentials, sim_dir

        starts = []
        for _ in range(5):
            began = time.perf_counter()
            info = control.ensure_running(Path(home))
            starts.append(time.perf_counter() - began)
            control.stop(Path(home))
        info = control.ensure_running(Path(home))
        try:
            failed |= report("server start", median_ms(starts), 500)
            env = {**os.environ, "KUBECONFIG": str(info.kubeconfig), "HOME": home}
            namespace = "kt-02-selector-mismatch"
            from tutor.cli import main as cli

            cli(["lab", "solve", "02"])

            def run(*args: str) -> float:
                began = time.perf_counter()
                subprocess.run([str(kubectl), *args], env=env, capture_output=True, check=True)
                return time.perf_counter() - began

            run("get", "pods", "-n", namespace)  # discovery cache filled once
            gets, bare = [], []
            for _ in range(20):
                bare.append(run("version", "--client"))
                gets.append(run("get", "pods", "-n", namespace))
            added = median_ms(gets) - median_ms(bare)
            failed |= report("kubectl get pods (added over kubectl's start-up)", added, 20)

            creds = Credentials(sim_dir(Path(home)))
            context = ssl.create_default_context(cafile=str(creds.ca_cert))
            headers = {"Authorization": f"Bearer {creds.token()}", "Accept": "application/json"}
            conn = http.client.HTTPSConnection("127.0.0.1", info.port, context=context)
            times = []
            for _ in range(200):
                began = time.perf_counter()
                conn.request("GET", f"/api/v1/namespaces/{namespace}/pods", headers=headers)
                conn.getresponse().read()
                times.append(time.perf_counter() - began)
            failed |= report("server time per request (list Pods)", median_ms(times), 5)

            latencies = []
            for index in range(10):
                watch = http.client.HTTPSConnection("127.0.0.1", info.port, context=context)
                rv = json.loads(_get(conn, f"/api/v1/namespaces/{namespace}/configmaps", headers))
                version = rv["metadata"]["resourceVersion"]
                watch.request(
                    "GET",
                    f"/api/v1/namespaces/{namespace}/configmaps?watch=1&resourceVersion={version}",
                    headers=headers,
                )
                response = watch.getresponse()
                body = json.dumps(
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"w{index}"}}
                )
                sent: list[float] = []

                def create(payload: str = body, sent: list[float] = sent) -> None:
                    other = http.client.HTTPSConnection("127.0.0.1", info.port, context=context)
                    sent.append(time.perf_counter())
                    other.request(
                        "POST",
                        f"/api/v1/namespaces/{namespace}/configmaps",
                        body=payload,
                        headers={**headers, "Content-Type": "application/json"},
                    )
                    other.getresponse().read()

                thread = threading.Thread(target=create)
                thread.start()
                response.readline()
                latencies.append(time.perf_counter() - sent[0])
                thread.join()
                watch.close()
            failed |= report("watch event after the change", median_ms(latencies), 50)

            applies = []
            start_dir = ROOT / "labs" / "02-selector-mismatch" / "start"
            for index in range(5):
                target = f"bench-{index}"
                run("create", "namespace", target)
                applies.append(run("apply", "-n", target, "-f", str(start_dir)))
            failed |= report("kubectl apply -f start/ (lab 02)", median_ms(applies), 500)

            from tutor.cluster.connect import open_sim
            from tutor.content.loader import load_course
            from tutor.labs.session import LabSession

            lab = load_course().lab("02-selector-mismatch")
            assert lab is not None
            session = LabSession(lab, open_sim())
            session.check(record=False)
            rounds = []
            for _ in range(20):
                began = time.perf_counter()
                session.check(record=False)
                rounds.append(time.perf_counter() - began)
            failed |= report("full lab check through the API (lab 02)", median_ms(rounds), 100)
        finally:
            control.stop(Path(home))
    return 1 if failed else 0


def _get(conn: http.client.HTTPSConnection, path: str, headers: dict[str, str]) -> bytes:
    conn.request("GET", path, headers=headers)
    return conn.getresponse().read()


def report(what: str, ms: float, budget: float) -> bool:
    verdict = "within" if ms < budget else "OVER"
    print(f"{what:<52} {ms:8.2f} ms  ({verdict} {budget:.0f} ms)")
    return ms >= budget


if __name__ == "__main__":
    raise SystemExit(main())
