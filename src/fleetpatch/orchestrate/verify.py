"""The `verify` step for real hosts: done when a report shows the host patched and running.

Patched and running means, in the host's newest report collected after the host started in the
run: every package of the run's frozen target installed at or past its target version, and no
reboot pending (the running kernel is the newest installed one and the OS's own reboot-required
evidence is older than the boot). Until such a report arrives the step waits, up to its timeout.
"""

from __future__ import annotations

from fleetpatch.exposure.host_states import reboot_status
from fleetpatch.orchestrate.executors import StepContext, Verification
from fleetpatch.store import Store
from fleetpatch.store.hosts import HostRepository
from fleetpatch.store.packages import PackageRepository
from fleetpatch.versions import compare, scheme_for_ecosystem


class ReportVerifier:
    def __init__(self, store: Store) -> None:
        self.store = store

    def verify(self, ctx: StepContext) -> Verification:
        with self.store.session() as session:
            header = HostRepository(session).current_for(ctx.host)
            if header is None:
                return Verification(False, "no report from the host yet")
            if ctx.since is not None and header.collected_at < ctx.since:
                return Verification(
                    False,
                    f"newest report ({header.collected_at.isoformat()}) is from before the run",
                )
            packages = PackageRepository(session).members(header.package_set_id)
        wanted = dict(ctx.target.get("packages", {}))
        scheme = scheme_for_ecosystem(header.ecosystem)
        installed: dict[str, str] = {}
        for p in packages:
            if p.name in wanted and (
                p.name not in installed or compare(scheme, p.version, installed[p.name]) > 0
            ):
                installed[p.name] = p.version
        behind = [
            f"{name} {installed.get(name, 'missing')} < {version}"
            for name, version in sorted(wanted.items())
            if name not in installed or compare(scheme, installed[name], version) < 0
        ]
        evidence = {"report": header.collected_at.isoformat(), "boot_id": header.boot_id}
        if behind:
            return Verification(False, "not patched: " + "; ".join(behind[:5]), evidence)
        reboot = reboot_status(header)
        if reboot.state == "pending_reboot":
            return Verification(
                False, "patched on disk, reboot pending: " + "; ".join(reboot.reasons), evidence
            )
        return Verification(
            True, f"report of {header.collected_at.isoformat()}: patched and running", evidence
        )
