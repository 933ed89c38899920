"""The SSH reboot step: reboot only when needed, gracefully, and count it only when proven.

Needed when the host says so (`/run/reboot-required`, which package hooks write) or when a
package this run installed runs only after a reboot (kernel, libc, systemd, dbus, microcode…:
`pkgmanager.needs_reboot`; bookworm sets no flag for libc6, so the flag alone is not enough).

Proof, as the issue defines it: the boot id (read by a command that exited 0, not empty) differs
from the one read before the reboot, and the host stays up, with that same boot id, for the
bucket's `reboot_stability`. The host must come back before the step's deadline (the bucket's
`reboot_timeout`); otherwise the step times out and the engine pages or blocks per `on_timeout`.

Idempotent: the boot id before is written to `/var/lib/fleetpatch/reboot-<run>` on the host
first, so a resumed step that finds a different boot id knows the reboot already happened and
only checks stability. A reconnect that meets a changed host key fails at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fleetpatch.connect.ssh import (
    HostKeyRefused,
    SshCommandTimedOut,
    SshConnectFailed,
    SshDisconnected,
)
from fleetpatch.orchestrate.executors import StepContext, StepFailed, StepResult, StepTimedOut
from fleetpatch.orchestrate.pkgmanager import (
    installed_argv,
    manager_for,
    needs_reboot,
    parse_installed,
)
from fleetpatch.policy.records import Bucket

if TYPE_CHECKING:
    from fleetpatch.orchestrate.ssh import HostSession

BOOT_ID = ("cat", "/proc/sys/kernel/random/boot_id")
REBOOT_FLAG = "/run/reboot-required"
MARKER_DIR = "/var/lib/fleetpatch"
DEFAULT_REBOOT = ("systemctl", "reboot")
# The reboot command itself: it returns, or the connection drops, within this.
REBOOT_COMMAND_TIMEOUT = 30.0
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 5.0
READ = 30.0


def reboot(ctx: StepContext, bucket: Bucket, session: HostSession, deadline: float) -> StepResult:
    marker = f"{MARKER_DIR}/reboot-{ctx.run_id}"
    evidence: dict[str, Any] = {"endpoint": session.endpoint.label}
    current = read_boot_id(session)
    before = session.run(["cat", "--", marker], timeout=READ).stdout.strip()
    if before and before != current:
        evidence.update(boot_id_before=before, boot_id_after=current, resumed=True)
        return _stable(session, bucket, current, evidence, deadline)
    reasons = reboot_reasons(ctx, session)
    evidence["reasons"] = reasons
    if not reasons:
        evidence["rebooted"] = False
        return StepResult(
            "no reboot needed: no flag on the host, no package that needs one", evidence
        )
    evidence["boot_id_before"] = current
    _write_marker(session, marker, current)
    if bucket.pre_reboot:
        hook = session.run(list(bucket.pre_reboot), timeout=_left(deadline), sudo=True)
        if not hook.ok:
            raise StepFailed(
                f"pre_reboot exited {hook.exit_status}: the host was not rebooted",
                _with_log(evidence, session),
            )
    _request(session, bucket, evidence)
    started = time.monotonic()
    after, attempts = _wait_back(session, current, deadline, evidence)
    evidence.update(
        boot_id_after=after,
        reconnect_attempts=attempts,
        seconds_to_return=round(time.monotonic() - started, 3),
    )
    result = _stable(session, bucket, after, evidence, deadline)
    session.run(["rm", "-f", "--", marker], timeout=READ, sudo=True)
    return result


def read_boot_id(session: HostSession) -> str:
    found = session.run(list(BOOT_ID), timeout=READ, record=False)
    value = found.stdout.strip()
    if not found.ok or not value:
        raise StepFailed(
            f"cannot read the boot id (exit {found.exit_status}): no reboot can be proven",
            {"stderr": found.stderr[-500:]},
        )
    return value


def reboot_reasons(ctx: StepContext, session: HostSession) -> list[str]:
    reasons = []
    if session.run(["test", "-e", REBOOT_FLAG], timeout=READ, record=False).ok:
        reasons.append(f"the host asks for one ({REBOOT_FLAG})")
    manager = manager_for(str(ctx.target.get("ecosystem", "")))
    wanted = {str(k): str(v) for k, v in dict(ctx.target.get("packages", {})).items()}
    if manager is not None and wanted:
        query = session.run(installed_argv(manager, wanted), timeout=READ, record=False)
        now = parse_installed(manager, query.stdout)
        done = [n for n, v in wanted.items() if now.get(n) == v]
        reasons += [
            f"{name} was installed and runs only after a reboot" for name in needs_reboot(done)
        ]
    return reasons


def _write_marker(session: HostSession, marker: str, boot_id: str) -> None:
    made = session.run(["mkdir", "-p", "--", MARKER_DIR], timeout=READ, sudo=True)
    wrote = session.run(["tee", "--", marker], timeout=READ, sudo=True, input_text=boot_id + "\n")
    if not (made.ok and wrote.ok):
        raise StepFailed(f"cannot record the boot id in {marker}: the host was not rebooted")


def _request(session: HostSession, bucket: Bucket, evidence: dict[str, Any]) -> None:
    """Ask for the reboot. The connection may drop before the command answers: that is fine."""
    argv = list(bucket.steps.get("reboot", DEFAULT_REBOOT))
    try:
        asked = session.run(argv, timeout=REBOOT_COMMAND_TIMEOUT, sudo=True)
    except (SshDisconnected, SshCommandTimedOut) as exc:
        evidence["reboot_command"] = f"connection ended: {exc}"
    else:
        if asked.exit_status > 0:
            raise StepFailed(
                f"the reboot command exited {asked.exit_status}: the host did not reboot",
                _with_log(evidence, session),
            )
        evidence["reboot_command"] = f"exited {asked.exit_status}"
    session.drop()


def _wait_back(
    session: HostSession, before: str, deadline: float, evidence: dict[str, Any]
) -> tuple[str, int]:
    """Reconnect with backoff until the boot id changed or the deadline passed."""
    delay, attempts, last = BACKOFF_FIRST, 0, "no attempt"
    while time.monotonic() + delay < deadline:
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX)
        attempts += 1
        try:
            now = read_boot_id(session)
        except HostKeyRefused:
            raise
        except (SshConnectFailed, SshDisconnected, SshCommandTimedOut) as exc:
            session.drop()
            last = str(exc)
            continue
        except StepFailed as exc:
            last = str(exc)
            continue
        if now != before:
            return now, attempts
        last = "still the boot id from before the reboot"
        session.drop()  # a connection to the old boot would die with it
    evidence.update(reconnect_attempts=attempts, last_error=last)
    raise StepTimedOut(
        f"no proof of a new boot before the reboot deadline ({attempts} reconnect attempt(s); "
        f"last: {last})",
        evidence,
    )


def _stable(
    session: HostSession,
    bucket: Bucket,
    boot_id: str,
    evidence: dict[str, Any],
    deadline: float,
) -> StepResult:
    """Up for `reboot_stability` seconds with the same boot id, or the reboot does not count."""
    time.sleep(bucket.reboot_stability_seconds)
    try:
        again = read_boot_id(session)
    except (SshConnectFailed, SshDisconnected, SshCommandTimedOut) as exc:
        raise StepFailed(
            f"the host went away again within {bucket.reboot_stability_seconds}s of booting: {exc}",
            evidence,
        ) from exc
    if again != boot_id:
        evidence["boot_id_later"] = again
        raise StepFailed(
            f"the host booted again within {bucket.reboot_stability_seconds}s: not stable",
            evidence,
        )
    evidence.update(rebooted=True, stable_seconds=bucket.reboot_stability_seconds)
    return StepResult(
        f"rebooted: boot id {evidence.get('boot_id_before')} -> {boot_id}, "
        f"up {bucket.reboot_stability_seconds}s",
        evidence,
    )


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise StepTimedOut("the reboot deadline passed before the reboot was asked for")
    return left


def _with_log(evidence: dict[str, Any], session: HostSession) -> dict[str, Any]:
    return {**evidence, "commands": list(session.log)}
