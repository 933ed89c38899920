"""The package catalog: what upstream repositories offer, since when, and apt-exact candidates.

- `records`: `Origin`, `CatalogEntry`, `ReleaseInfo`, `Update`, `FirstSeen`, `Staleness`, …
- `apt` (pure): Release/InRelease and Packages parsing, decompression by suffix, origins.
- `rpmmd` (pure): `repomd.xml` and `primary.xml`; `apkindex` (pure): Alpine `APKINDEX.tar.gz`.
- `firstseen` (pure): first-seen times merged import after import, never moved later.
- `candidates` (pure): `CatalogIndex`, `candidate`, `outdated` as `apt list --upgradable` decides.
- `lists` and `repos` (edge): reading `/var/lib/apt/lists`-like directories, apt mirrors, RPM and
  Alpine repositories from a path or URL.
"""
