#!/usr/bin/env python3
"""Seed the Teamleader simulator with a demo account and show what it holds.

Used by `infra/dev demo` until the full demo (the koppel-e2e `demo` binary) exists. Talks to the
simulator's admin endpoints only: POST /_sim/generate, GET /_sim/state/{account_id}.

Usage: demo_sim.py TEAMLEADER_SIM_URL [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections import Counter
from typing import Any


def call(method: str, url: str, body: Any = None) -> Any:
    """One JSON request to the simulator; exit with a readable message if it fails."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local simulator
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {url} answered {error.code}: {error.read().decode(errors='replace')}") from error
    except urllib.error.URLError as error:
        raise SystemExit(f"{method} {url} failed: {error.reason}") from error


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Seed and show a demo account in the Teamleader simulator.")
    parser.add_argument("url", help="base URL of the Teamleader simulator")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    base = args.url.rstrip("/")

    generated = call("POST", f"{base}/_sim/generate", {"seed": args.seed, "departments": 2})
    account_id = generated["account_id"]
    account = call("GET", f"{base}/_sim/state/{account_id}")

    print(f"Simulated Teamleader Focus at {base}")
    print(f"Demo account: {account.get('name', '?')} ({account_id})")
    print("Departments:")
    for department in account.get("departments", []):
        vat = department.get("vat_number") or "no VAT number"
        print(f"  - {department.get('name', '?')} ({vat})")
    invoices = account.get("invoices", [])
    statuses = Counter(str(invoice.get("status", "?")) for invoice in invoices)
    breakdown = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    print(f"Invoices: {len(invoices)} ({breakdown})")
    print(f"Credit notes: {len(account.get('credit_notes', []))}")
    companies, contacts = len(account.get("companies", [])), len(account.get("contacts", []))
    print(f"Customers: {companies + contacts} ({companies} companies, {contacts} contacts)")
    print()
    print("The full demo (export to the simulated Exact Online, payments back) comes with the demo binary.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
