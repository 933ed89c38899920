"""Reading `fleet.yaml`: the one place the policy file is opened, parsed and validated.

Every problem in the file is reported at once, one line each, as `FILE:LINE: PATH: MESSAGE`
(`fleet.yaml:14: buckets[1].windows[0].cron: invalid cron expression '61 3 * * *': minute 61 out
of range`), in a `PolicyError`. YAML syntax errors, duplicate keys, unknown keys (with a "did you
mean" hint) and wrong types are problems like any other; nothing raises a traceback.

The format (`fleetpatch init` writes a commented example)::

    version: 1                        # optional; the only version so far
    x-weekly: &weekly                 # top-level keys starting with `x-` are ignored: a place
      {cron: "0 3 * * 2", duration: 2h}   # for YAML anchors (`- *weekly`, `<<: *weekly`)
    owners:                           # a mapping of team name -> contacts, or a list of
      dba:                            #   {name, contacts}
        contacts:
          chat: "#dba"                # chat channel
          pager_key: PAGER_DBA_KEY    # NAME of the env variable holding the pager key
          email: dba@example.com
    defaults:
      sla: {max_days_behind: 14, max_uptime_days: 30, stale_after: 2d}
      soak_days: 3                    # days a new upstream version waits before `latest` takes it
    buckets:                          # a list; order matters: the first matching bucket wins
      - name: databases               # letters, digits, . _ - (unique)
        owner: dba                    # must be one of the owners
        description: ...
        strategy: in-place-gated      # rolling-reboot | in-place-gated | replace | manual
        windows:                      # at least one
          - {cron: "0 3 * * 2", duration: 2h, timezone: Europe/Paris}
        max_concurrency: 1            # a count >= 1, or a percentage of the bucket: "10%"
        gates:                        # in-place-gated needs at least one
          - {name: pre-check, command: [/usr/local/bin/db-check, --pre], timeout: 5m}
          - {name: post-check, command: "db-check --post", timeout: 10m, phase: post}
        reboot_timeout: 5m
        sla: {max_days_behind: 7}     # missing fields come from defaults.sla
        runbook: https://wiki.example.com/runbooks/databases
        match:                        # a host matches if ANY rule matches; a rule matches if
          - labels: {role: db}        #   ALL its conditions hold; an empty rule is an error
          - hostname: "db-*"          # shell glob on the hostname
          - hostname_regex: "pg-[0-9]+"   # full match (RE2: no backreferences, no lookaround)
          # also: ecosystem ("Debian:12" exactly, or "Debian:" for any release),
          #       image_prefix (image id starts with), collector (ssh, agent, ...)
        exclusive: false              # true: a host this bucket matches may match no other
        announce_days: 0              # announce each window this many days ahead
        depends: [app-team]           # teams (owners) the announcement also goes to
    baselines:                        # package -> version, or -> {version, soak_days, ecosystem},
      openssl: latest                 #   or a list of {package, version, soak_days, ecosystem}
      linux-image-amd64: {version: latest, soak_days: 7, ecosystem: "Debian:12"}
      openssh-server: {version: "1:9.2p1-2+deb12u3", ecosystem: "Debian:12"}  # a pin names
                                      #   its ecosystem; the version must be valid there

Durations are `30s`, `5m`, `2h`, `1d`, `1w` or combinations (`1h30m`); a window's duration may
also be a bare number of minutes.
Cron is five-field Vixie syntax (see `cron.py`); time zones are IANA names.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fleetpatch.errors import InputError, PolicyError
from fleetpatch.policy.build import PolicyBuilder
from fleetpatch.policy.records import Policy
from fleetpatch.policy.yamldoc import Problem, YamlSyntaxError, format_path, read_yaml


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file at `path`; `InputError` if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such policy file; run `fleetpatch init` to write an example "
            "(or pass --policy PATH)"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "fleet.yaml") -> Policy:
    """Validate policy text; `PolicyError` lists every problem as `SOURCE:LINE: PATH: MESSAGE`."""
    try:
        doc = read_yaml(text)
    except YamlSyntaxError as exc:
        raise PolicyError([f"{source}:{exc.line}: {_cut(exc.message)}"]) from None
    builder = PolicyBuilder(doc)
    policy = builder.build()
    if policy is None or builder.problems:
        raise PolicyError(format_problems(builder.problems, source))
    return replace(policy, source=source)


MAX_SHOWN = 300
"""Characters of a path or message shown: both can quote a value from the file, of any length."""


def _cut(text: str) -> str:
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}... ({len(text)} characters)"


def format_problems(problems: list[Problem], source: str) -> list[str]:
    """One line per problem, in file order, each problem once."""
    lines: list[str] = []
    for problem in sorted(problems, key=lambda p: p.line):
        where = _cut(format_path(problem.path))
        line = f"{source}:{problem.line}: {where + ': ' if where else ''}{_cut(problem.message)}"
        if line not in lines:
            lines.append(line)
    return lines
