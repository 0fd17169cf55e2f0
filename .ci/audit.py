"""Audit the installed dependencies (the exact versions `make install` resolved) with pip-audit.

Tries the OSV service, then PyPI's. pip-audit prints "No known vulnerabilities found" even
when it could look up no package at all (every one "skipped"), so this script counts what was
really audited and says plainly when the check could not run. Exit status:

- 1: a known vulnerability in an installed package (not listed in .ci/audit-ignore.txt);
- 0: no known vulnerability in the packages audited, or no vulnerability service reachable
  (then the report says that nothing was checked).

The list audited and pip-audit's JSON go to test-artifacts/ (CI keeps them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-artifacts"
IGNORE = Path(__file__).with_name("audit-ignore.txt")  # "VULN-ID  reason", one a line


def ignored() -> list[str]:
    if not IGNORE.exists():
        return []
    return [line.split()[0] for line in IGNORE.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def audit(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON for the installed environment, or None and why it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable", "--vulnerability-service", service,
               "--timeout", "15", "--progress-spinner", "off", "--format", "json", "--output", str(out)]
        for vuln in ignored():
            cmd += ["--ignore-vuln", vuln]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if not out.exists() or not out.read_text().strip():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return None, last[:300]
        return json.loads(out.read_text()), ""


def main() -> int:
    OUT.mkdir(exist_ok=True)
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True)
    (OUT / "audited-requirements.txt").write_text(freeze.stdout)
    print(f"dependency audit: {len(freeze.stdout.splitlines())} installed packages (test-artifacts/audited-requirements.txt)")
    reasons = []
    for service in ("osv", "pypi"):
        result, error = audit(service)
        if result is None:
            reasons.append(f"{service}: {error}")
            continue
        deps = result["dependencies"]
        checked = [d for d in deps if "skip_reason" not in d]
        skipped = [d for d in deps if "skip_reason" in d]
        if not checked:
            why = sorted({d["skip_reason"].split(":")[0] for d in skipped})
            reasons.append(f"{service}: all {len(skipped)} packages skipped ({'; '.join(why)})")
            continue
        (OUT / "pip-audit.json").write_text(json.dumps(result, indent=1))
        found = [(d["name"], d["version"], v) for d in checked for v in d.get("vulns", [])]
        print(f"dependency audit ({service}): {len(checked)} packages checked, {len(skipped)} skipped, "
              f"{len(found)} known vulnerabilities, {len(ignored())} ignored by .ci/audit-ignore.txt")
        for name, version, v in found:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fix yet"
            print(f"  {name} {version}: {v['id']} (fixed in: {fixes}) {v.get('description', '')[:160]}")
        return 1 if found else 0
    print("dependency audit NOT RUN: no vulnerability service could be reached, so no package was checked.")
    for reason in reasons:
        print(f"  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
