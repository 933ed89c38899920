"""Every problem in fleet.yaml is one exact `file:line: path: message` line, all at once."""

from __future__ import annotations

import pytest

from fleetpatch.errors import InputError, PolicyError
from fleetpatch.policy.loader import parse_policy

# Line numbers matter below: 1 owners, 5 name, 6 owner, 7 strategy, 9 cron, 10 duration,
# 11 timezone, 12 max_concurrency, 14 the gate, 16 hostname_regex.
BASE = """\
owners:
  dba:
    contacts: {chat: "#dba", pager_key: PAGER_DBA_KEY}
buckets:
  - name: databases
    owner: dba
    strategy: in-place-gated
    windows:
      - cron: "0 3 * * 2"
        duration: 2h
        timezone: Europe/Paris
    max_concurrency: 1
    gates:
      - {name: pre-check, command: [db-gate, pre], timeout: 5m}
    match:
      - hostname_regex: "db-[0-9]+"
"""


def problems(text: str, source: str = "fleet.yaml") -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_base_is_valid() -> None:
    assert parse_policy(BASE).bucket("databases") is not None


CASES = [
    (
        "unknown key with hint",
        edit("    max_concurrency: 1", "    max_concurency: 1"),
        "fleet.yaml:12: buckets[0].max_concurency: unknown key (did you mean 'max_concurrency'?)",
    ),
    (
        "unknown key without a close match lists the known keys",
        edit("    contacts: {", "    zzz: 1\n    contacts: {"),
        "fleet.yaml:3: owners.dba.zzz: unknown key (known: contacts, name)",
    ),
    (
        "bad cron",
        edit('"0 3 * * 2"', '"61 3 * * *"'),
        "fleet.yaml:9: buckets[0].windows[0].cron: invalid cron expression '61 3 * * *': "
        "minute 61 out of range",
    ),
    (
        "cron with four fields",
        edit('"0 3 * * 2"', '"0 3 * *"'),
        "fleet.yaml:9: buckets[0].windows[0].cron: invalid cron expression '0 3 * *': "
        "expected 5 fields (minute hour day-of-month month day-of-week), got 4",
    ),
    (
        "bad timezone",
        edit("Europe/Paris", "Europe/Pariss"),
        "fleet.yaml:11: buckets[0].windows[0].timezone: unknown time zone 'Europe/Pariss' "
        "(did you mean 'Europe/Paris'?)",
    ),
    (
        "bad duration",
        edit("duration: 2h", "duration: 2 hours"),
        "fleet.yaml:10: buckets[0].windows[0].duration: invalid duration '2 hours': use a number "
        "with a unit (30s, 5m, 2h, 1d, 1w, 1h30m) or a whole number of minutes",
    ),
    (
        "timeout needs a unit",
        edit("timeout: 5m", "timeout: 5"),
        "fleet.yaml:14: buckets[0].gates[0].timeout: invalid duration 5: give a unit, "
        "e.g. '5m' or '5d'",
    ),
    (
        "unknown owner",
        edit("    owner: dba", "    owner: dbas"),
        "fleet.yaml:6: buckets[0].owner: unknown owner 'dbas' (did you mean 'dba'?)",
    ),
    (
        "bad strategy",
        edit("strategy: in-place-gated", "strategy: in-place"),
        "fleet.yaml:7: buckets[0].strategy: unknown strategy 'in-place' "
        "(did you mean 'in-place-gated'?)",
    ),
    (
        "bad percentage",
        edit("max_concurrency: 1", 'max_concurrency: "120%"'),
        "fleet.yaml:12: buckets[0].max_concurrency: percentage '120%' out of range: "
        "must be above 0% and at most 100%",
    ),
    (
        "not a percentage",
        edit("max_concurrency: 1", "max_concurrency: ten"),
        "fleet.yaml:12: buckets[0].max_concurrency: invalid max_concurrency 'ten': "
        "expected a count (a whole number >= 1) or a percentage like '10%'",
    ),
    (
        "bad regex",
        edit('"db-[0-9]+"', '"db-[0-9+"'),
        "fleet.yaml:16: buckets[0].match[0].hostname_regex: invalid regular expression "
        "'db-[0-9+': unterminated character set at position 3",
    ),
    (
        "a backreference RE2 cannot run",
        edit('"db-[0-9]+"', '"(db)-\\\\1"'),
        "fleet.yaml:16: buckets[0].match[0].hostname_regex: pattern not supported "
        "(RE2 has no backreferences or lookaround): '(db)-\\\\1': invalid escape sequence: \\1",
    ),
    (
        "a lookahead RE2 cannot run",
        edit('"db-[0-9]+"', '"db-(?!test)[a-z0-9]+"'),
        "fleet.yaml:16: buckets[0].match[0].hostname_regex: pattern not supported "
        "(RE2 has no backreferences or lookaround): 'db-(?!test)[a-z0-9]+': "
        "invalid perl operator: (?!",
    ),
    (
        "duplicate YAML key",
        edit("    owner: dba\n", "    owner: dba\n    owner: dba\n"),
        "fleet.yaml:7: buckets[0].owner: duplicate key (first at line 6)",
    ),
    (
        "YAML syntax error",
        edit("    owner: dba", "    owner: [dba"),
        "fleet.yaml:7: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts at line 6)",
    ),
    (
        "wrong type: string expected",
        edit("    owner: dba", "    owner: 7"),
        "fleet.yaml:6: buckets[0].owner: expected a string, got 7; quote it",
    ),
    (
        "wrong type: YAML reads a date",
        edit("    owner: dba", "    owner: 2026-11-27"),
        "fleet.yaml:6: buckets[0].owner: expected a string, got 2026-11-27; quote it",
    ),
    (
        "wrong type: list expected",
        edit("    match:\n      - hostname_regex:", "    match:\n      hostname_regex:"),
        "fleet.yaml:15: buckets[0].match: expected a list, got a mapping",
    ),
    (
        "wrong type: buckets not a list",
        "owners: {dba: {}}\nbuckets: databases\n",
        "fleet.yaml:2: buckets: expected a list of buckets, got 'databases'",
    ),
    (
        "missing required key",
        edit("    strategy: in-place-gated\n", ""),
        "fleet.yaml:5: buckets[0].strategy: required key is missing",
    ),
    (
        "in-place-gated without gates",
        edit("    gates:\n      - {name: pre-check, command: [db-gate, pre], timeout: 5m}\n", ""),
        "fleet.yaml:5: buckets[0]: strategy 'in-place-gated' needs at least one gate",
    ),
    (
        "empty match rule",
        edit('      - hostname_regex: "db-[0-9]+"', "      - {}"),
        "fleet.yaml:16: buckets[0].match[0]: an empty rule matches nothing; "
        "give at least one condition",
    ),
    (
        "pager key holds a secret",
        edit("PAGER_DBA_KEY", "e93facc04764012d7bfb002500d5d1a6"),
        "fleet.yaml:3: owners.dba.contacts.pager_key: pager_key "
        "'e93facc04764012d7bfb002500d5d1a6' must name the environment variable that holds "
        "the key (like PAGER_DBA_KEY), never the key itself",
    ),
    (
        "YAML 1.1 boolean key",
        edit("    match:\n", "    on: 1\n    match:\n"),
        "fleet.yaml:15: buckets[0]: key 'on' is read as True, not a string; quote it",
    ),
    (
        "empty document",
        "# nothing yet\n",
        "fleet.yaml:1: the policy is empty: expected a mapping with owners and buckets "
        "(`fleetpatch init` writes an example)",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_problem_one_exact_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


PIN = "3.0.15-1~deb12u1"
PIN_CASES = [
    (
        "a pin in the list form without an ecosystem",
        f"  - {{package: openssl, version: {PIN}}}\n",
        "fleet.yaml:18: baselines[0].ecosystem: required key is missing for a pinned version "
        "(e.g. Debian:12)",
    ),
    (
        "a pin in the short form shows the mapping to write",
        f"  openssl: {PIN}\n",
        "fleet.yaml:18: baselines.openssl.ecosystem: required key is missing for a pinned "
        f"version (e.g. openssl: {{version: '{PIN}', ecosystem: 'Debian:12'}})",
    ),
    (
        "a pin whose version is not valid in its ecosystem",
        "  openssl: {version: 3.0.15-, ecosystem: 'Debian:12'}\n",
        "fleet.yaml:18: baselines.openssl.version: not a version of Debian:12: "
        "invalid dpkg version '3.0.15-': revision number is empty",
    ),
    (
        "a pin with a numeric part too long",
        f"  - package: musl\n    ecosystem: 'Alpine:v3.20'\n    version: 1.{'2' * 65}-r0\n",
        "fleet.yaml:20: baselines[0].version: not a version of Alpine:v3.20: invalid apk "
        f"version '1.{'2' * 58}'... (70 characters): a numeric part longer than 64 digits",
    ),
    (
        "a pin in an ecosystem without a version scheme",
        f"  - {{package: openssl, version: {PIN}, ecosystem: 'Debain:12'}}\n",
        "fleet.yaml:18: baselines[0].ecosystem: unknown ecosystem 'Debain:12': no version "
        "scheme for it (did you mean 'Debian'?)",
    ),
]


@pytest.mark.parametrize(
    ("baselines", "expected"), [c[1:] for c in PIN_CASES], ids=[c[0] for c in PIN_CASES]
)
def test_a_pin_names_its_ecosystem_and_is_valid_there(baselines: str, expected: str) -> None:
    assert problems(BASE + "baselines:\n" + baselines) == [expected]


def test_latest_needs_no_ecosystem_and_a_valid_pin_loads() -> None:
    text = (
        BASE + f"baselines:\n  curl: latest\n  openssl: {{version: {PIN}, ecosystem: 'Debian:'}}\n"
    )
    assert [(b.package, b.version, b.ecosystem) for b in parse_policy(text).baselines] == [
        ("curl", "latest", ""),
        ("openssl", PIN, "Debian:"),
    ]


def test_duplicate_bucket_names_point_at_the_second_and_name_the_first() -> None:
    text = BASE + BASE[BASE.index("  - name: databases") :]
    assert problems(text) == [
        "fleet.yaml:17: buckets[1].name: duplicate bucket name 'databases' "
        "(first at buckets[0], line 5)"
    ]


def test_the_briefs_example_line_and_the_source_name() -> None:
    second = (
        "  - name: jump\n    owner: dba\n    strategy: replace\n    windows:\n"
        '      - {cron: "61 3 * * *", duration: 60}\n    match: [{hostname: "jump-*"}]\n'
    )
    text = BASE + second
    assert problems(text, "/etc/fleetpatch/fleet.yaml") == [
        "/etc/fleetpatch/fleet.yaml:21: buckets[1].windows[0].cron: invalid cron expression "
        "'61 3 * * *': minute 61 out of range"
    ]


def test_all_problems_at_once_in_file_order() -> None:
    text = (
        edit("    owner: dba", "    owner: ops")
        .replace('"0 3 * * 2"', '"0 25 * * 2"')
        .replace("Europe/Paris", "Mars/Olympus")
        .replace("max_concurrency: 1", 'max_concurrency: "0%"')
        + "baselines:\n  openssl: 3.0\ndefaults: {soak: 2}\n"
    )
    assert problems(text) == [
        "fleet.yaml:6: buckets[0].owner: unknown owner 'ops' (known: dba)",
        "fleet.yaml:9: buckets[0].windows[0].cron: invalid cron expression '0 25 * * 2': "
        "hour 25 out of range",
        "fleet.yaml:11: buckets[0].windows[0].timezone: unknown time zone 'Mars/Olympus' "
        "(an IANA name like 'Europe/Paris')",
        "fleet.yaml:12: buckets[0].max_concurrency: percentage '0%' out of range: "
        "must be above 0% and at most 100%",
        "fleet.yaml:18: baselines.openssl: expected a version string or a mapping, got 3.0; "
        "quote it",
        "fleet.yaml:19: defaults.soak: unknown key (did you mean 'soak_days'?)",
    ]


def test_policy_error_is_an_input_error_so_the_cli_exits_2() -> None:
    with pytest.raises(InputError):
        parse_policy("owners: [")


def test_alias_expansion_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    found = problems("\n".join(lines) + "\n")
    assert any("document expands to more than 100000 nodes" in p for p in found)


def test_an_impossible_date_is_one_line_naming_it() -> None:
    text = BASE + "blackouts:\n  - {start: 2026-02-30, end: 2026-03-02, reason: freeze}\n"
    assert problems(text) == [
        "fleet.yaml:18: blackouts[0].start: invalid date '2026-02-30': "
        "day is out of range for month"
    ]


def test_yaml_nested_ten_thousand_deep_is_one_line_not_a_traceback() -> None:
    flow = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
    assert problems(flow) == [
        "fleet.yaml:1: YAML nested too deeply (a policy nests a few levels; the limit is 64)"
    ]
    block = "a:\n" + "".join("  " * i + "k:\n" for i in range(1, 100)) + "  " * 100 + "v\n"
    found = problems(block)
    assert any(p.endswith("nested deeper than 64 levels") for p in found)


def test_fuzz_case_a_5000_character_value_is_cut_in_its_problem_line() -> None:
    """Found by tests/fuzz: `version: xxx…` (5,000 x) came back as a 5,000-character line, and a
    megabyte value would have been a megabyte of stderr."""
    (line,) = problems("version: " + "x" * 5000 + "\n" + BASE)
    assert line.startswith("fleet.yaml:1: version: expected 1, got 'xxx")
    assert line.endswith("... (5018 characters)")
    assert len(line) < 400


def test_fuzz_case_a_1000_character_key_is_cut_in_its_problem_line() -> None:
    """(YAML itself refuses a plain key over 1,024 characters.)"""
    (line,) = problems("k" * 1000 + ": 1\n" + BASE)
    assert line.startswith("fleet.yaml:1: kkk")
    assert "... (1000 characters): unknown key (known: " in line
    assert len(line) < 600
