"""Audit the locked dependencies (requirements.lock, the exact versions `make install` installs) with pip-audit.

First checks the lock itself: every entry pinned with `==` and carrying at least one `--hash` (a lock
that does not is an error, not something to audit). Then asks pip-audit about those versions
(`-r requirements.lock --require-hashes --disable-pip`: the file is read as it is, nothing is
resolved or installed), OSV first, then PyPI's service. pip-audit prints "No known vulnerabilities
found" even when it could look up no package at all (every one "skipped"), so this script counts what
was really audited and says plainly when the check could not run. Exit status:

- 1: a known vulnerability in a locked package (not listed in .ci/audit-ignore.txt), or a missing or
  malformed lock file;
- 0: no known vulnerability in the packages audited, or no vulnerability service reachable
  (then the report says that nothing was checked).

The list audited and pip-audit's JSON go to test-artifacts/ (CI keeps them).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"  # written by `make lock` (pip-compile --generate-hashes)
OUT = ROOT / "test-artifacts"
IGNORE = Path(__file__).with_name("audit-ignore.txt")  # "VULN-ID  reason", one a line
HASH = re.compile(r"--hash=(sha256|sha384|sha512):[0-9a-f]+")


def ignored() -> list[str]:
    if not IGNORE.exists():
        return []
    return [line.split()[0] for line in IGNORE.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def locked(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The (name, version) of each entry of a lock file's text, and what is wrong with the lock:
    entries not pinned to one version with `==`, without a `--hash`, or that are not index packages."""
    pins: list[tuple[str, str]] = []
    problems: list[str] = []
    logical = re.sub(r"\\\n", " ", text)  # join the `\`-continued lines of each entry
    for number, line in enumerate(logical.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        words = line.split()
        spec = " ".join(w for w in words if not w.startswith("--hash="))
        if spec.startswith("-"):
            if spec.startswith(("-e", "--editable", "-r", "-c", "--requirement", "--constraint")):
                problems.append(f"entry {number}: {spec[:80]} (not a pinned, hashed package)")
            continue  # an index option (--find-links, --index-url, ...)
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            problems.append(f"entry {number}: {spec[:80]} ({exc})")
            continue
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
            problems.append(f"{req.name}: not pinned to one version with == ({spec[:80]})")
            continue
        if not any(HASH.fullmatch(w) for w in words):
            problems.append(f"{req.name}=={specs[0].version}: no --hash")
            continue
        pins.append((req.name, specs[0].version))
    return pins, problems


def audit(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON for the lock file, or None and why it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--require-hashes", "--disable-pip",
               "--vulnerability-service", service, "--timeout", "15", "--progress-spinner", "off",
               "--format", "json", "--output", str(out)]
        for vuln in ignored():
            cmd += ["--ignore-vuln", vuln]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if not out.exists() or not out.read_text().strip():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return None, last[:300]
        return json.loads(out.read_text()), ""


def main() -> int:
    OUT.mkdir(exist_ok=True)
    if not LOCK.exists():
        print(f"dependency audit FAILED: no lock file {LOCK.name} (make lock writes it)")
        return 1
    pins, problems = locked(LOCK.read_text(encoding="utf-8"))
    if problems or not pins:
        print(f"dependency audit FAILED: {LOCK.name} is not a complete hashed lock (make lock rewrites it):")
        for problem in problems or ["no package in it"]:
            print(f"  {problem}")
        return 1
    (OUT / "audited-requirements.txt").write_text("".join(f"{name}=={version}\n" for name, version in pins))
    print(f"dependency audit: {len(pins)} locked packages in {LOCK.name} (test-artifacts/audited-requirements.txt)")
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
