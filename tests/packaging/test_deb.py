"""The .deb as a file: its contents, maintainer scripts and lintian."""

import re
import subprocess
import tempfile
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent.parent.parent / "packaging"


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def deb_files(deb):
    """{path: (mode string, owner/group)} from dpkg-deb -c."""
    files = {}
    for line in run("dpkg-deb", "-c", str(deb)).splitlines():
        perms, owner, _size, _date, _time, path = line.split(None, 5)
        path = path.split(" -> ")[0]
        files[path[1:].rstrip("/") or "/"] = (perms, owner)
    return files


def test_deb_contents(pkgs):
    files = deb_files(pkgs.deb)
    unitdir = "/lib/systemd/system" if "/lib/systemd/system/s3wwwd.service" in files \
        else "/usr/lib/systemd/system"
    expect = {
        "/usr/sbin/s3wwwd": "-rwxr-xr-x",
        "/usr/bin/s3wwwd-seed": "-rwxr-xr-x",
        "/usr/share/man/man8/s3wwwd.8.gz": "-rw-r--r--",
        "/usr/share/man/man5/s3wwwd.conf.5.gz": "-rw-r--r--",
        "/usr/share/man/man1/s3wwwd-seed.1.gz": "-rw-r--r--",
        unitdir + "/s3wwwd.service": "-rw-r--r--",
        unitdir + "/s3wwwd.socket": "-rw-r--r--",
        "/usr/lib/sysusers.d/s3wwwd.conf": "-rw-r--r--",
        "/usr/lib/tmpfiles.d/s3wwwd.conf": "-rw-r--r--",
        "/etc/s3wwwd/s3wwwd.conf": "-rw-r--r--",
        # Credentials: root only from the moment it is unpacked.
        "/etc/s3wwwd/s3wwwd.env": "-rw-------",
        "/usr/share/doc/s3wwwd/copyright": "-rw-r--r--",
        "/usr/share/doc/s3wwwd/examples/s3wwwd.conf.example": "-rw-r--r--",
    }
    for path, mode in expect.items():
        assert path in files, "%s missing from %s" % (path, pkgs.deb.name)
        assert files[path] == (mode, "root/root"), path
    # The shipped units are the ones in packaging/systemd, byte for byte.
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-x", str(pkgs.deb), d], check=True)
        for name in ("s3wwwd.service", "s3wwwd.socket"):
            assert (Path(d + unitdir) / name).read_bytes() == \
                (PACKAGING / "systemd" / name).read_bytes()
        assert (Path(d) / "usr/lib/sysusers.d/s3wwwd.conf").read_bytes() == \
            (PACKAGING / "systemd" / "s3wwwd.sysusers").read_bytes()


def test_deb_control(pkgs):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-e", str(pkgs.deb), d], check=True)
        ctl = Path(d)
        # Both files in /etc are conffiles: dpkg keeps an edited one.
        assert sorted(ctl.joinpath("conffiles").read_text().split()) == \
            ["/etc/s3wwwd/s3wwwd.conf", "/etc/s3wwwd/s3wwwd.env"]
        postinst = ctl.joinpath("postinst").read_text()
        # The user before the permissions that name its group.
        assert postinst.index("systemd-sysusers") < postinst.index("systemd-tmpfiles")
        assert "deb-systemd-helper update-state 's3wwwd.service'" in postinst
        # An upgrade reloads a running service (the daemon executes the new
        # program in place); debhelper neither stops nor restarts it.
        assert "deb-systemd-invoke try-reload-or-restart s3wwwd.service" in postinst
        assert "restart 's3wwwd" not in postinst and "stop 's3wwwd" not in \
            ctl.joinpath("prerm").read_text()
        assert "deb-systemd-invoke stop s3wwwd.socket s3wwwd.service" in \
            ctl.joinpath("prerm").read_text()
        postrm = ctl.joinpath("postrm").read_text()
        assert "userdel s3wwwd" in postrm and "deb-systemd-helper purge" in postrm
        for script in ("postinst", "prerm", "postrm"):
            subprocess.run(["sh", "-n", str(ctl / script)], check=True)
        control = ctl.joinpath("control").read_text()
        depends = re.search(r"^Depends: (.*)$", control, re.M).group(1)
        for dep in ("procps", "libcurl4", "libconfig9", "libssl3", "libsystemd0",
                    "systemd | systemd-standalone-sysusers"):
            assert dep in depends, dep


def test_lintian_clean(pkgs):
    """No error or warning; what remains is overridden in
    debian/s3wwwd.lintian-overrides with the reason (packaging/README.md)."""
    p = subprocess.run(["lintian", "--pedantic", "--display-info",
                        "--tag-display-limit", "0", "--fail-on", "error,warning",
                        str(pkgs.changes)],
                       capture_output=True, text=True)
    tags = [line for line in p.stdout.splitlines() if re.match(r"^[EWIPX]: ", line)]
    print("\n".join(tags) or "lintian: no tags")
    bad = [t for t in tags if t[0] in "EW"]
    assert p.returncode == 0 and not bad, "lintian:\n%s\n%s" % (p.stdout, p.stderr)
