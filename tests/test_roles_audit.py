"""The audit role: the rules file and the check agree, log rotation is capped, CIS Docker 1.1.x is covered."""

from __future__ import annotations

import base64
import gzip
import re

import yaml
from role_specs import make_spec

from bothost.role import CommandResult, RenderContext
from bothost.templating import render
from bothost.userdata import file_text, render_user_data
from roles.audit import RULES_PATH, AuditRole, AuditSettings

BOT = {"preset": "generic", "image": "example/bot:1", "dataDir": "/srv/bothost/data"}

# The paths docker-bench-security greps `auditctl -l` for, by CIS Docker Benchmark item
# (tests/1_host_configuration.sh of github.com/docker/docker-bench-security); 1.1.13 is Red Hat's.
DOCKER_BENCH_PATHS = {
    "1.1.3": "/usr/bin/dockerd", "1.1.4": "/run/containerd", "1.1.5": "/var/lib/docker",
    "1.1.6": "/etc/docker", "1.1.7": "/lib/systemd/system/docker.service",
    "1.1.8": "/run/containerd/containerd.sock", "1.1.9": "/lib/systemd/system/docker.socket",
    "1.1.10": "/etc/default/docker", "1.1.11": "/etc/docker/daemon.json",
    "1.1.12": "/etc/containerd/config.toml", "1.1.14": "/usr/bin/containerd",
    "1.1.15": "/usr/bin/containerd-shim", "1.1.16": "/usr/bin/containerd-shim-runc-v1",
    "1.1.17": "/usr/bin/containerd-shim-runc-v2", "1.1.18": "/usr/bin/runc",
}

# Debian 12's auditd.conf values for the keys the role sets (auditd 1:3.0.9-1).
STOCK_CONF = {"log_group": "adm", "flush": "INCREMENTAL_ASYNC", "freq": "50", "max_log_file": "8",
              "num_logs": "5", "max_log_file_action": "ROTATE", "space_left": "75",
              "space_left_action": "SYSLOG", "admin_space_left": "50", "admin_space_left_action": "SUSPEND",
              "disk_full_action": "SUSPEND", "disk_error_action": "SUSPEND"}


def settings(**bot: object) -> AuditSettings:
    return AuditRole().settings(make_spec(**({"bot": bot} if bot else {})), RenderContext())


def checks(s: AuditSettings) -> dict:
    return {check.id: check for check in AuditRole().checks(s)}


def rendered_rules(s: AuditSettings) -> list[str]:
    text = render("audit/audit.rules.j2", s=s)
    return [line for line in text.splitlines() if line.startswith(("-w", "-a"))]


def test_rules_file_and_check_agree_and_cite_every_docker_item() -> None:
    s = settings(**BOT)
    rules = rendered_rules(s)
    assert rules == [rule.text for rule in s.rules()]
    assert len(rules) == len(set(rules))
    assert render("audit/audit.rules.j2", s=s).splitlines()[-1] == "-e 1"  # else the kernel records nothing
    listed = "\n".join(rule.loaded for rule in s.rules()) + "\n"
    assert checks(s)["aud-03"].evaluate(CommandResult(0, listed)).passed
    text = render("audit/audit.rules.j2", s=s)
    for item, path in DOCKER_BENCH_PATHS.items():
        assert f"CIS Docker {item}:" in text, item
        assert any(re.search(rf"(^|[ =]){re.escape(path)}( |$)", rule) for rule in rules), (item, path)


def test_bot_data_is_watched_only_with_a_bot() -> None:
    assert not any("bothost-data" in rule for rule in rendered_rules(settings()))
    data = [rule for rule in rendered_rules(settings(**BOT)) if "bothost-data" in rule]
    assert data == ["-a always,exit -S all -F dir=/srv/bothost/data -F perm=wa -F auid>=1000 -F auid!=-1 "
                    "-F key=bothost-data"]
    assert rendered_rules(settings(**BOT))[-1] == data[0]  # last: a missing directory stops only this rule


def test_rules_check_names_what_differs() -> None:
    s = settings()
    rules = [rule.loaded for rule in s.rules()]
    check = checks(s)["aud-03"]
    missing = check.evaluate(CommandResult(0, "\n".join(rules[1:])))
    assert not missing.passed and "missing: " + rules[0] in missing.actual
    extra = check.evaluate(CommandResult(0, "\n".join([*rules, "-w /tmp -p wa -k x"])))
    assert not extra.passed and "unexpected: -w /tmp -p wa -k x" in extra.actual
    swapped = check.evaluate(CommandResult(0, "\n".join([rules[1], rules[0], *rules[2:]])))
    assert not swapped.passed and "out of order" in swapped.actual
    assert not check.evaluate(CommandResult(0, "No rules\n")).passed
    assert not check.evaluate(CommandResult(1, "", "You must be root to run this program.")).passed


def test_auditd_conf_caps_the_log_and_the_check_reads_it() -> None:
    s = AuditSettings()
    text = render("audit/auditd.conf.j2", s=s)
    values = dict(re.findall(r"^(\w+) = (.*)$", text, re.MULTILINE))
    assert {key: values[key] for key in s.conf()} == s.conf()
    assert int(values["max_log_file"]) * int(values["num_logs"]) <= 200
    assert values["max_log_file_action"] == "ROTATE" and "tcp_listen_port" not in values
    assert "HALT" not in text and "SINGLE" not in text
    check = checks(s)["aud-04"]
    assert check.evaluate(CommandResult(0, text)).passed
    stock = "".join(f"{key} = {value}\n" for key, value in STOCK_CONF.items())
    assert not check.evaluate(CommandResult(0, stock)).passed


def test_status_check_needs_auditing_on_and_a_daemon() -> None:
    check = checks(AuditSettings())["aud-02"]
    good = "enabled 1\nfailure 1\npid 412\nrate_limit 0\nbacklog_limit 8192\nlost 0\nbacklog 0\n"
    assert check.evaluate(CommandResult(0, good)).passed
    assert not check.evaluate(CommandResult(0, good.replace("enabled 1", "enabled 0"))).passed
    assert not check.evaluate(CommandResult(0, good.replace("pid 412", "pid 0"))).passed
    assert not check.evaluate(CommandResult(0, good.replace("8192", "64"))).passed


def test_rules_file_travels_compressed_and_decodes_to_the_template() -> None:
    spec = make_spec(bot=BOT)
    document = yaml.safe_load(render_user_data(spec, RenderContext()))
    entry = next(f for f in document["write_files"] if f["path"] == RULES_PATH)
    assert entry["encoding"] == "gz+b64"
    expected = render("audit/audit.rules.j2", s=AuditRole().settings(spec, RenderContext()))
    assert gzip.decompress(base64.b64decode(entry["content"])).decode() == file_text(entry) == expected
    commands = document["runcmd"]
    assert commands.index(["augenrules", "--load"]) > max(
        i for i, c in enumerate(commands) if "/srv/bothost/data" in c)  # the watched directory exists first


def test_package_files_are_checked_weekly() -> None:
    s = AuditSettings()
    changes = AuditRole().changes(s)
    assert "debsums" in changes.packages
    text = next(f.content for f in changes.files if f.path == "/etc/default/debsums")
    check = checks(s)["aud-05"]
    assert check.evaluate(CommandResult(0, text)).passed
    stock = "# Defaults for debsums cron jobs\nCRON_CHECK=never\n"  # the package's own file
    assert not check.evaluate(CommandResult(0, stock)).passed


def show(socket_state: str, socket_active: str) -> str:
    """`systemctl show` of the aud-01 units as Debian 12 prints it; the journal's audit socket as given."""
    units = [("auditd.service", "enabled", "active"), ("acct.service", "enabled", "active"),
             ("systemd-journald-audit.socket", socket_state, socket_active)]
    return "\n".join(f"Id={unit}\nUnitFileState={state}\nActiveState={active}\n"
                     for unit, state, active in units)


def test_audit_events_stay_out_of_the_journal() -> None:
    s = settings()
    aud01 = checks(s)["aud-01"]
    assert "systemd-journald-audit.socket" in aud01.command
    assert aud01.evaluate(CommandResult(0, show("masked", "inactive"))).passed
    assert not aud01.evaluate(CommandResult(0, show("static", "active"))).passed  # Debian's default
    changes = AuditRole().changes(s)
    assert changes.mask_units == ("systemd-journald-audit.socket",)  # masked in the units' step
    stop = changes.commands.index(("systemctl", "stop", "systemd-journald-audit.socket"))
    assert changes.commands[stop + 1] == ("systemctl", "restart", "systemd-journald")  # drops the socket


def test_dockers_state_is_audited_except_dockerds_own_writes() -> None:
    """CIS 1.1.5 without dockerd's image unpacking (it flooded the capped log); aud-03 reads auditd 3.0.9's
    listing, which prints `exe!=` as `exe=` (seen on the rehearsal VM)."""
    s = settings(**BOT)
    rule = next(r for r in s.rules() if "dir=/var/lib/docker " in r.text)
    assert rule.text == ("-a always,exit -S all -F dir=/var/lib/docker -F perm=wa -F exe!=/usr/sbin/dockerd "
                         "-F key=docker")
    assert rule.text in rendered_rules(s)
    listed = "-a always,exit -S all -F dir=/var/lib/docker -F perm=wa -F exe=/usr/sbin/dockerd -F key=docker"
    assert rule.loaded == listed
    as_listed = [r.loaded for r in s.rules()]
    assert checks(s)["aud-03"].evaluate(CommandResult(0, "\n".join(as_listed))).passed
    old_watch = [line if line != listed else "-w /var/lib/docker -p wa -k docker" for line in as_listed]
    outcome = checks(s)["aud-03"].evaluate(CommandResult(0, "\n".join(old_watch)))
    assert not outcome.passed and "missing: " + listed in outcome.actual
