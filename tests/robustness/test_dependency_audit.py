"""The dependency audit CI runs (`.ci/audit.py`, pip-audit on the installed versions): a known
vulnerability fails it, and a run where no service answered says that nothing was checked
instead of pip-audit's "No known vulnerabilities found" (issue 8, "Security defaults")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROOT, load_script


@pytest.fixture()
def audit_script() -> Any:
    return load_script(ROOT / ".ci" / "audit.py", "ci_audit")


def dep(name: str, version: str, *vulns: str, skipped: bool = False) -> dict[str, Any]:
    if skipped:
        return {"name": name, "version": version, "skip_reason": "Dependency not found on PyPI and could not be audited: x"}
    return {"name": name, "version": version, "vulns": [{"id": v, "fix_versions": ["9.9"], "description": "…"} for v in vulns]}


def test_a_known_vulnerability_fails_the_audit(audit_script, monkeypatch, capsys):
    found = {"dependencies": [dep("gradio", "6.31.0", "GHSA-test-0001"), dep("numpy", "2.4.6"), dep("x", "1", skipped=True)]}
    monkeypatch.setattr(audit_script, "audit", lambda service: (found, ""))
    assert audit_script.main() == 1
    out = capsys.readouterr().out
    assert "2 packages checked, 1 skipped, 1 known vulnerabilities" in out
    assert "gradio 6.31.0: GHSA-test-0001 (fixed in: 9.9)" in out


def test_no_finding_passes_and_says_what_was_checked(audit_script, monkeypatch, capsys):
    clean = {"dependencies": [dep("gradio", "6.31.0"), dep("numpy", "2.4.6")]}
    monkeypatch.setattr(audit_script, "audit", lambda service: (clean, ""))
    assert audit_script.main() == 0
    assert "(osv): 2 packages checked, 0 skipped, 0 known vulnerabilities" in capsys.readouterr().out


def test_an_audit_that_checked_nothing_says_so(audit_script, monkeypatch, capsys):
    results = {
        "osv": (None, "ConnectionError: Failed to resolve 'api.osv.dev'"),
        "pypi": ({"dependencies": [dep("gradio", "6.31.0", skipped=True)]}, ""),
    }
    monkeypatch.setattr(audit_script, "audit", lambda service: results[service])
    assert audit_script.main() == 0
    out = capsys.readouterr().out
    assert "dependency audit NOT RUN" in out and "no package was checked" in out
    assert "osv: ConnectionError" in out and "pypi: all 1 packages skipped" in out
