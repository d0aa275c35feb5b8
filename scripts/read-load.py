#!/usr/bin/env python3
"""Reading load on a running `chuangkou serve`, and its resident memory.

Signs in as the benchmark's leader (the organisation `bench dashboard`
generates), then CLIENTS threads GET the dashboard, the case inbox, a
search, the ratings and the other console pages in turn for SECONDS, while
the server's resident set is sampled from /proc. Prints requests, errors,
p50/p95 and the peak resident memory (issue 23 point 7, docs/PERFORMANCE.md).

    scripts/read-load.py http://127.0.0.1:8080 PID [CLIENTS] [SECONDS]

Standard library only.
"""

import http.cookiejar
import sys
import threading
import time
import urllib.parse
import urllib.request

PATHS = [
    "/console/dashboard",
    "/console/cases",
    "/api/v1/cases?inbox=all",
    "/api/v1/cases?inbox=overdue",
    "/api/v1/cases?q=%E6%80%81%E5%BA%A6",  # 态度
    "/console/ratings",
    "/console/home",
    "/console/ledger",
    "/console/staff",
    "/console/inspections",
]


def sign_in(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/login").read()
    csrf = next(c.value for c in jar if c.name == "ck_csrf")
    form = urllib.parse.urlencode(
        {"username": "bench-leader", "password": "bench-password-1", "_csrf": csrf}
    ).encode()
    opener.open(base + "/login", form).read()
    return opener


def rss_kb(pid):
    return resident(pid)[0]


def resident(pid):
    """(total, anonymous, file-backed) resident kB: the heap and SQLite's
    caches are anonymous; the binary's own pages are file-backed."""
    seen = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                seen[key] = int(line.split()[1])
    return seen.get("VmRSS", 0), seen.get("RssAnon", 0), seen.get("RssFile", 0) + seen.get("RssShmem", 0)


def main():
    base, pid = sys.argv[1], int(sys.argv[2])
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    print(f"resident before: {rss_kb(pid) / 1024:.0f} MB")
    opener = sign_in(base)
    stop = time.monotonic() + seconds
    times, errors, lock = [], [0], threading.Lock()
    by_path = {p: [] for p in PATHS}

    def client(k):
        i = k
        while time.monotonic() < stop:
            path = PATHS[i % len(PATHS)]
            i += 1
            t0 = time.monotonic()
            try:
                opener.open(base + path, timeout=60).read()
                with lock:
                    times.append(time.monotonic() - t0)
                    by_path[path].append(time.monotonic() - t0)
            except Exception:  # a failed request is counted, not fatal
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    peak = (0, 0, 0)
    while any(t.is_alive() for t in threads):
        peak = max(peak, resident(pid))
        time.sleep(0.1)
    times.sort()
    pct = lambda p: times[min(int(len(times) * p), len(times) - 1)] * 1000 if times else 0
    for path, ts in by_path.items():
        ts.sort()
        if ts:
            print(f"  {path:<40} n={len(ts):<5} p50 {ts[len(ts) // 2] * 1000:.0f} ms, max {ts[-1] * 1000:.0f} ms")
    print(
        f"{len(times)} requests, {errors[0]} errors, p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms; "
        f"resident peak {peak[0] / 1024:.0f} MB (anonymous {peak[1] / 1024:.0f}, files {peak[2] / 1024:.0f}), "
        f"after {rss_kb(pid) / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
