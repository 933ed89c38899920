"""The example `fleet.yaml` that `fleetpatch init` writes: four buckets, one owner each.

It mirrors the four kinds of hosts in DESIGN.md §1 and is a test fixture too: it must validate,
and each bucket must claim its sample host (`k8s-node-017`, `db-03`, `jump-02`, `metal-01`).
"""

from __future__ import annotations

EXAMPLE_POLICY = """\
# fleet.yaml: who patches what, when and how. Check it with `fleetpatch policy check`.
#
# Durations: 30s, 5m, 2h, 1d, 1w or combinations (1h30m); a window duration may be plain minutes.
# Windows: a 5-field cron start (minute hour day-of-month month day-of-week), a duration and
# an IANA time zone. Work starts only inside a window; a step still running at its end finishes.
version: 1

# Teams. pager_key is the NAME of the environment variable that holds the pager service key,
# never the key itself.
owners:
  platform:
    contacts:
      chat: "#platform-oncall"
      pager_key: PAGER_PLATFORM_KEY
      email: platform@example.com
  dba:
    contacts:
      chat: "#dba"
      pager_key: PAGER_DBA_KEY
      email: dba@example.com
  infra:
    contacts:
      chat: "#infra"
      email: infra@example.com
  colo-ops:
    contacts:
      chat: "#colo-ops"
      pager_key: PAGER_COLO_KEY
      email: colo-ops@example.com
  app-team:
    contacts:
      chat: "#app-team"
      email: app-team@example.com

# Limits every bucket gets unless it sets its own.
defaults:
  sla:
    max_days_behind: 14     # oldest missing update older than this: overdue
    max_uptime_days: 30     # longer without a reboot is a liability
    stale_after: 2d         # no report for this long: stale
  soak_days: 3              # a new upstream version becomes `latest` after this many days
  baseline_owner: platform  # the team that owns a package's canonical level unless named

# Change freezes: no window opens inside one (a bucket may add its own). A bare end date counts
# whole; times without an offset are in `timezone` (default UTC).
blackouts:
  - start: 2026-12-21
    end: 2027-01-03
    reason: year-end change freeze
    timezone: Europe/Berlin

# Where window announcements (`fleetpatch announce`) and run events (started, wave done,
# finished, stopped; sent by `fleetpatch worker`) go, and pages: a `pagerduty` notifier pages the
# bucket owner with the routing key held in the variable its pager_key names. Secrets stay in
# the environment: url_env / password_env NAME the variables that hold them.
# notifiers:
#   - {name: pd, kind: pagerduty, attempts: 3, backoff: 1s}
#   - {name: chat, kind: slack, url_env: SLACK_WEBHOOK_URL, max_wait: 30s}
#   - {name: hooks, kind: webhook, url: "https://hooks.example.com/fleetpatch", timeout: 10s}
#   - {name: mail, kind: email, smtp_host: smtp.example.com, smtp_port: 587, starttls: true,
#      sender: fleetpatch@example.com, username: fleetpatch, password_env: SMTP_PASSWORD}

# The critical-CVE override path (`fleetpatch incident ...`, docs/incidents.md): an imported
# advisory at or above `auto_open` that affects a host opens an incident; every host is to be
# patched within `deadline`; the war room (a notifiers entry) gets a status every `status_every`;
# `page_owners` pages the affected owners at once (they are paged at 75 % of the deadline anyway).
incidents:
  auto_open: critical              # off | critical | high | medium | low
  deadline: 24h
  status_every: 2h
  # war_room: chat                 # a slack, webhook or email notifier
  page_owners: false

# Buckets, in order: a host goes to the FIRST bucket with a matching rule. A bucket matches a
# host when any of its rules does; a rule matches when all of its conditions hold.
buckets:
  - name: k8s-nodes
    owner: platform
    description: Kubernetes nodes; cordon, drain (PDBs respected), update, reboot, uncordon.
    strategy: rolling-reboot
    windows:
      - cron: "0 3 * * *"          # daily 03:00-04:00 UTC
        duration: 60m
        timezone: UTC
    max_concurrency: "10%"         # of the bucket at once (at least one host)
    canaries: {count: 1, labels: {canary: "true"}}   # a first wave of its own
    step_durations: {drain: 5m, reboot: 3m}          # expected until runs have measured them
    failure_rate: 0.02             # share of hosts expected to fail (forecasts)
    reboot_timeout: 10m
    runbook: https://wiki.example.com/runbooks/k8s-nodes
    match:
      - labels: {role: k8s-node}
      - hostname: "k8s-node-*"

  - name: databases
    owner: dba
    description: Stateful hosts patched in place; every step is a hard gate.
    strategy: in-place-gated
    windows:
      - cron: "0 4 * * tue"        # weekly, Tuesday 04:00-06:00 Paris time
        duration: 2h
        timezone: Europe/Paris
    max_concurrency: 1
    group_by: cluster              # anti-affinity on the `cluster` label: replicas before the
    max_per_group: 1               # primary (label replication: replica|primary), one at a time
    step_durations: {upgrade: 15m, reboot: 4m}
    failure_rate: 0.05
    gates:                         # argv lists; a failed gate stops that host and pages
      - name: pre-check            # snapshot taken, replication healthy
        command: [/usr/local/bin/db-gate, pre-check]
        timeout: 5m
      - name: post-check           # replication caught up, queries succeed
        command: [/usr/local/bin/db-gate, post-check]
        timeout: 10m
        phase: post
    reboot_timeout: 5m             # service back within 5 minutes, else page on-call
    sla:
      max_days_behind: 7           # the rest comes from defaults.sla
    runbook: https://wiki.example.com/runbooks/databases
    match:
      - labels: {role: db}
      - hostname_regex: "db-[0-9]+"
    depends: [app-team]

  - name: stateless
    owner: infra
    description: Jump hosts and utility instances; replaced from the latest image, never patched.
    strategy: replace
    windows:
      - cron: "0 2 * * sun"        # Sunday 02:00, the whole bucket in about two hours
        duration: 2h
        timezone: UTC
    max_concurrency: "50%"
    runbook: https://wiki.example.com/runbooks/stateless
    match:
      - labels: {role: stateless}
      - hostname: "jump-*"

  - name: bare-metal
    owner: colo-ops
    description: Snowflakes in the colos; patched by hand in announced monthly windows.
    strategy: manual
    windows:
      - cron: "0 9 1 * *"          # the 1st of each month, 09:00-17:00 Berlin time
        duration: 8h
        timezone: Europe/Berlin
    announce_days: 14              # announced 14 days ahead to the owner and `depends`
    depends: [platform, dba]
    sla:
      max_uptime_days: 90
    runbook: https://wiki.example.com/runbooks/bare-metal
    exclusive: true                # a host matched here must match no other bucket
    match:
      - labels: {role: bare-metal}
      - hostname: "metal-*"

# Every package has one canonical patch level per ecosystem: the newest version that has soaked
# `defaults.soak_days`, owned by `defaults.baseline_owner`. A baseline overrides it: `latest` with
# its own soak_days, or a pinned version (which names its ecosystem, and must be valid there),
# and may name another owning team.
baselines:
  openssl:
    version: latest
    owner: platform
  linux-image-amd64:
    version: latest
    soak_days: 7
    ecosystem: "Debian:12"
    owner: infra
"""
