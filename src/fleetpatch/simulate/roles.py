"""Which real packages each kind of host carries on top of its distribution's base set.

Names only: versions always come from the shipped data, and a name the data lacks is skipped.
The Debian base set is the package set of the machine the data was built on (see data/SOURCES.md);
the AlmaLinux base is a hand-written list of packages a server install has, kept to names that
appear in the AlmaLinux OSV database (a package never named by an advisory has no version there).
"""

from __future__ import annotations

import re


def _names(text: str) -> list[str]:
    return text.split()


# Never dropped when an image thins out the Debian base set: an image without them is not Debian.
DEBIAN_KEEP = frozenset(
    _names(
        "apt base-files bash coreutils dpkg libc6 libssl3 openssl systemd libsystemd0 libcurl4 "
        "curl openssh-client sudo tzdata ca-certificates"
    )
)

DEBIAN_EXTRAS: dict[str, list[str]] = {
    "all": _names(
        "openssh-server openssh-sftp-server chrony unattended-upgrades sudo rsyslog cron "
        "logrotate prometheus-node-exporter lsof tcpdump htop vim tmux nftables"
    ),
    "k8s-node": _names(
        "containerd runc conntrack ebtables socat ethtool iptables cloud-init cloud-guest-utils"
    ),
    "db": _names(
        "postgresql-15 postgresql-client-15 postgresql-common postgresql-client-common libpq5 "
        "pgbouncer patroni cloud-init cloud-guest-utils"
    ),
    "stateless": _names("nginx nginx-common haproxy fail2ban cloud-init cloud-guest-utils"),
    "bare-metal": _names("smartmontools ipmitool mdadm lvm2 ifupdown isc-dhcp-client grub-pc"),
    "unclassified": _names("cloud-init cloud-guest-utils"),
}

ALMA_BASE = tuple(
    _names(
        """bash glibc glibc-common glibc-minimal-langpack glibc-langpack-en openssl openssl-libs
        systemd systemd-libs systemd-pam systemd-udev systemd-rpm-macros kernel-tools
        kernel-tools-libs linux-firmware curl libcurl libcurl-minimal sudo openssh openssh-server
        openssh-clients coreutils coreutils-common rpm rpm-libs rpm-build-libs rpm-plugin-selinux
        python3-rpm python3 python3-libs python3-pip-wheel python3-setuptools-wheel bind-libs
        bind-utils bind-license krb5-libs libxml2 libxslt expat sqlite-libs zlib xz xz-libs
        bzip2-libs gnutls nss nss-util nss-softokn nss-softokn-freebl nspr libgcrypt libssh
        libssh-config libksba gnupg2 tar less vim-minimal vim-common vim-enhanced vim-filesystem
        procps-ng util-linux util-linux-core libblkid libmount libuuid libfdisk libsmartcols
        shadow-utils pam sssd-client sssd-common libsss_idmap libsss_nss_idmap libsss_sudo
        sssd-kcm dbus dbus-libs dbus-common dbus-broker NetworkManager NetworkManager-libnm
        NetworkManager-team NetworkManager-tui logrotate grub2-common grub2-pc grub2-efi-x64
        grub2-tools grub2-tools-minimal shim-x64 dracut dracut-config-rescue e2fsprogs
        e2fsprogs-libs kpartx tuned microcode_ctl libarchive libsolv file file-libs iputils rsync
        wget jq libtasn1 p11-kit p11-kit-trust libnghttp2 c-ares libcap libacl acl glib2
        python3-requests python3-urllib3 python3-idna perl-interpreter perl-libs git git-core"""
    )
)

ALMA_EXTRAS: dict[str, list[str]] = {
    "k8s-node": _names("podman runc crun conmon containers-common cloud-init qemu-guest-agent"),
    "db": _names(
        "postgresql postgresql-server postgresql-contrib postgresql-private-libs libpq "
        "cloud-init qemu-guest-agent"
    ),
    "stateless": _names("nginx nginx-core nginx-filesystem cloud-init qemu-guest-agent"),
    "bare-metal": _names("ipmitool smartmontools mdadm OpenIPMI OpenIPMI-libs"),
    "unclassified": _names("cloud-init tmux"),
}

# Desktop, development and language-runtime packages a server image would not carry.
NOT_ON_SERVERS = re.compile(
    r"^(firefox|thunderbird|libreoffice|autocorr-|gnome|gtk|webkit|xorg-|tigervnc|qt5|qt6|kde|"
    r"evolution|gimp|inkscape|java-|dotnet|aspnetcore|tomcat|texlive|mingw|virt-|libvirt|qemu-kvm|"
    r"gstreamer|pipewire|pulseaudio|mesa|poppler|nautilus|mutter|wireshark|xterm|yelp)"
)
