#!/usr/bin/env python3
"""+100-member PATCHes of a *mapped* group, as Okta pushes one group: issue 4's "a 100-member PATCH
with Group Sync on stays <= 5 ms p50 at 100,000 members", where every PATCH also recomputes, stores and
audits 100 roles (scim-load.py's W5 group is unmapped, so its PATCHes change no role).

Usage: mapped_group_patch.py PORT TOKEN N [GROUP_NAME]
  Lists the ids of N existing users, creates GROUP_NAME (default StackFlow-Agents, mapped to
  itsm_agent by the seed rules) and adds the users 100 per PATCH, sequentially on one keep-alive
  connection (loopback only; bounded by N). Prints p50/p90/p99 of the PATCH latencies.
Standard library only."""
import http.client
import json
import statistics
import sys
import time

port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
name = sys.argv[4] if len(sys.argv) > 4 else "StackFlow-Agents"
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def call(method, path, body=None):
    conn.request(method, "/scim/v2" + path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: HTTP {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


ids = []
while len(ids) < n:
    page = call("GET", f"/Users?startIndex={len(ids) + 1}&count=1000&attributes=id")
    if not page["Resources"]:
        break
    ids += [u["id"] for u in page["Resources"]]
ids = ids[:n]
group = call("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                 "displayName": name, "members": []})
latencies = []
for i in range(0, len(ids), 100):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": u} for u in ids[i:i + 100]]}]}
    start = time.perf_counter()
    call("PATCH", f"/Groups/{group['id']}", body)
    latencies.append((time.perf_counter() - start) * 1000)


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


print(f"{len(latencies)} PATCHes of +100 members up to {len(ids)} ({name}): "
      f"p50 {statistics.median(latencies):.2f} ms, p90 {pct(latencies, .9):.2f} ms, p99 {pct(latencies, .99):.2f} ms; "
      f"last 100 p50 {statistics.median(latencies[-100:]):.2f} ms; first {latencies[0]:.2f} ms, last {latencies[-1]:.2f} ms")
