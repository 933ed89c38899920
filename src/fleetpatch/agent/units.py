"""The agent's systemd units and package-manager hooks, as text (written by `agent install`).

- `fleetpatch-agent.service`: a oneshot `fleetpatch collect --post`, sandboxed. It runs as a
  dynamic user with no capabilities, a read-only view of the system (the package databases are
  world-readable), its spool in its own state directory, and the token handed over as a systemd
  credential (`LoadCredential=`), so the token file itself can stay root-only.
- `fleetpatch-agent.timer`: daily by default (`OnCalendar=`), spread over an hour
  (`RandomizedDelaySec=`) so ten thousand hosts do not report in the same second, and
  `Persistent=true` so a host that was off at the time reports when it boots.
- An apt `DPkg::Post-Invoke` hook and a dnf post-transaction action start the service after
  every package transaction (without waiting for it), so "patched" shows within minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SERVICE = "fleetpatch-agent.service"
TIMER = "fleetpatch-agent.timer"
APT_HOOK = "90fleetpatch-agent"
DNF_ACTION = "fleetpatch-agent.action"
CREDENTIAL = "fleetpatch-token"
UNIT_DIR = Path("/etc/systemd/system")
APT_DIR = Path("/etc/apt/apt.conf.d")
DNF_DIR = Path("/etc/dnf/plugins/post-transaction-actions.d")


@dataclass(frozen=True, slots=True)
class AgentConfig:
    executable: Path
    url: str
    token_file: Path
    on_calendar: str = "daily"
    randomized_delay: str = "1h"
    ca_file: Path | None = None
    allow_http: bool = False


def service_unit(config: AgentConfig) -> str:
    argv = [
        str(config.executable),
        "collect",
        "--post",
        config.url,
        "--token-file",
        f"${{CREDENTIALS_DIRECTORY}}/{CREDENTIAL}",
        "--spool-dir",
        "${STATE_DIRECTORY}/spool",
        "--quiet",
    ]
    if config.ca_file is not None:
        argv += ["--ca-file", str(config.ca_file)]
    if config.allow_http:
        argv.append("--allow-http")
    command = " ".join(_unit_quote(a) for a in argv)
    return f"""[Unit]
Description=fleetpatch agent: report this host's packages, kernel and reboot state
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={command}
LoadCredential={CREDENTIAL}:{_path(config.token_file)}
DynamicUser=yes
StateDirectory=fleetpatch-agent
StateDirectoryMode=0700
TimeoutStartSec=15min
Nice=10
IOSchedulingClass=idle
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0077
"""


def timer_unit(config: AgentConfig) -> str:
    return f"""[Unit]
Description=Report this host to fleetpatch ({config.on_calendar})

[Timer]
OnCalendar={config.on_calendar}
RandomizedDelaySec={config.randomized_delay}
Persistent=true
AccuracySec=1min

[Install]
WantedBy=timers.target
"""


START = f"systemctl start --no-block {SERVICE}"


def apt_hook() -> str:
    # apt runs Post-Invoke through /bin/sh; a host without systemd running is left alone, and a
    # failure to start the agent never fails the package transaction.
    return (
        "// fleetpatch: report this host after every dpkg run (see fleetpatch agent install)\n"
        f'DPkg::Post-Invoke {{ "if [ -d /run/systemd/system ]; then {START} || true; fi"; }};\n'
    )


def dnf_action() -> str:
    # package filter : transaction state : command (the post-transaction-actions plugin)
    return (
        "# fleetpatch: report this host after every transaction (fleetpatch agent install)\n"
        f"*:any:/usr/bin/{START}\n"
    )


def files(config: AgentConfig) -> dict[str, str]:
    """File name → text of everything `agent install` writes."""
    return {
        SERVICE: service_unit(config),
        TIMER: timer_unit(config),
        APT_HOOK: apt_hook(),
        DNF_ACTION: dnf_action(),
    }


def _unit_quote(value: str) -> str:
    """One ExecStart word. `%` is doubled (a specifier otherwise); `${...}` stays for systemd's
    own expansion; a word with blanks, quotes or backslashes goes in double quotes, escaped."""
    if any(c in value for c in "\n\r\0"):
        raise ValueError(f"cannot put {value!r} in a unit file")
    value = value.replace("%", "%%")
    if value and not any(c.isspace() or c in "\"'\\;" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path(path: Path) -> str:
    """A path as a unit setting's value (not a command line): `%` doubled, no blanks."""
    text = str(path)
    if any(c.isspace() or c == "\0" for c in text):
        raise ValueError(f"{text!r}: a path with blanks cannot be a unit setting here")
    return text.replace("%", "%%")
