"""The .rpm: contents, scriptlets, rpmlint, and an install into a scratch root.

The scratch root is an overlay of the cached Debian tree: it has /bin/sh,
systemd-sysusers, systemd-tmpfiles and systemctl, so the scriptlets really
run (in rpm's chroot) instead of being skipped; nothing outside the overlay
is touched and the overlay is thrown away afterwards.
"""

import glob
import os
import subprocess
import time
from pathlib import Path

import pytest

import nspawn

PACKAGING = Path(__file__).resolve().parent.parent.parent / "packaging"
DBPATH = "/var/lib/rpm"


def rpmq(*args):
    return subprocess.run(["rpm"] + list(args), capture_output=True, text=True,
                          check=True).stdout


def test_rpm_contents(pkgs):
    fmt = "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]"
    files = {}
    for line in rpmq("-qp", "--qf", fmt, str(pkgs.rpm)).splitlines():
        perms, user, group, path = line.split(None, 3)
        files[path] = (perms, user, group)
    expect = {
        "/usr/sbin/s3wwwd": ("-rwxr-xr-x", "root", "root"),
        "/usr/bin/s3wwwd-seed": ("-rwxr-xr-x", "root", "root"),
        "/usr/share/man/man8/s3wwwd.8.gz": ("-rw-r--r--", "root", "root"),
        "/usr/share/man/man5/s3wwwd.conf.5.gz": ("-rw-r--r--", "root", "root"),
        "/usr/share/man/man1/s3wwwd-seed.1.gz": ("-rw-r--r--", "root", "root"),
        "/usr/lib/systemd/system/s3wwwd.service": ("-rw-r--r--", "root", "root"),
        "/usr/lib/systemd/system/s3wwwd.socket": ("-rw-r--r--", "root", "root"),
        "/usr/lib/sysusers.d/s3wwwd.conf": ("-rw-r--r--", "root", "root"),
        "/usr/lib/tmpfiles.d/s3wwwd.conf": ("-rw-r--r--", "root", "root"),
        "/etc/s3wwwd": ("drwxr-x---", "root", "s3wwwd"),
        "/etc/s3wwwd/s3wwwd.conf": ("-rw-r-----", "root", "s3wwwd"),
        "/etc/s3wwwd/s3wwwd.env": ("-rw-------", "root", "root"),
    }
    for path, attrs in expect.items():
        assert files.get(path) == attrs, "%s: %s" % (path, files.get(path))
    # rpm -qlp agrees, and both files in /etc are %config(noreplace).
    listed = rpmq("-qlp", str(pkgs.rpm)).split()
    assert set(expect) <= set(listed)
    assert sorted(rpmq("-qcp", str(pkgs.rpm)).split()) == \
        ["/etc/s3wwwd/s3wwwd.conf", "/etc/s3wwwd/s3wwwd.env"]
    fflags = rpmq("-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", str(pkgs.rpm))
    for line in fflags.splitlines():
        if line.startswith("/etc/s3wwwd/s3wwwd."):
            assert line.split()[1] == "cn", line     # config, noreplace


def test_rpm_scriptlets(pkgs, tmp_path):
    scripts = rpmq("-qp", "--scripts", str(pkgs.rpm))
    print(scripts)
    for needle in ("preinstall scriptlet", "systemd-sysusers --replace=/usr/lib/sysusers.d/s3wwwd.conf",
                   "u s3wwwd -",                            # the sysusers line itself
                   "postinstall scriptlet", "systemctl --no-reload preset s3wwwd.service s3wwwd.socket",
                   "systemd-tmpfiles --create /usr/lib/tmpfiles.d/s3wwwd.conf",
                   "preuninstall scriptlet", "disable s3wwwd.service s3wwwd.socket",
                   "postuninstall scriptlet", "try-reload-or-restart s3wwwd.service"):
        assert needle in scripts, needle
    # Each scriptlet is valid sh (rpm runs them with /bin/sh).
    for tag in ("PREIN", "POSTIN", "PREUN", "POSTUN"):
        body = rpmq("-qp", "--qf", "%%{%s}" % tag, str(pkgs.rpm))
        f = tmp_path / tag
        f.write_text(body)
        subprocess.run(["sh", "-n", str(f)], check=True)


def test_rpmlint_clean(pkgs):
    """0 errors, 0 warnings; each accepted report is filtered, with its reason,
    in packaging/rpm/rpmlint.toml."""
    p = subprocess.run(["rpmlint", "-c", str(PACKAGING / "rpm" / "rpmlint.toml"), str(pkgs.rpm)],
                       capture_output=True, text=True)
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 errors, 0 warnings" in p.stdout, p.stdout


@pytest.fixture
def rpmroot(nspawn_root, scratch):
    ov = nspawn.Overlay(nspawn_root, scratch / "rpmroot").mount()
    yield ov.root
    ov.unmount()


def rpm_root(root, *args, check=True):
    return subprocess.run(["rpm", "--root", str(root), "--dbpath", DBPATH] + list(args),
                          capture_output=True, text=True, check=check)


def test_rpm_installs_into_scratch_root(pkgs, rpmroot):
    root = Path(rpmroot)
    assert "s3wwwd" not in (root / "etc/passwd").read_text()
    rpm_root(root, "--initdb")
    p = rpm_root(root, "-i", "--nodeps", str(pkgs.rpm), check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    # Unpacked, with the attributes of the spec.
    for f in ("usr/sbin/s3wwwd", "usr/bin/s3wwwd-seed", "usr/lib/systemd/system/s3wwwd.service",
              "usr/lib/systemd/system/s3wwwd.socket", "usr/lib/sysusers.d/s3wwwd.conf",
              "usr/lib/tmpfiles.d/s3wwwd.conf", "etc/s3wwwd/s3wwwd.conf",
              "etc/s3wwwd/s3wwwd.env", "usr/share/man/man8/s3wwwd.8.gz"):
        assert (root / f).exists(), f
    # %pre created the system user from the sysusers.d line, in the root.
    passwd = [line for line in (root / "etc/passwd").read_text().splitlines()
              if line.startswith("s3wwwd:")]
    assert len(passwd) == 1, passwd
    uid = int(passwd[0].split(":")[2])
    assert uid < 1000, passwd            # a system user
    assert passwd[0].split(":")[5] == "/nonexistent"
    group = [line for line in (root / "etc/group").read_text().splitlines()
             if line.startswith("s3wwwd:")]
    assert len(group) == 1
    gid = int(group[0].split(":")[2])
    st = (root / "etc/s3wwwd/s3wwwd.conf").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, gid, 0o640)
    st = (root / "etc/s3wwwd").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, gid, 0o750)
    assert (root / "etc/s3wwwd/s3wwwd.env").stat().st_mode & 0o777 == 0o600
    # The binary is the built one and runs in the root: it checks its config.
    r = subprocess.run(["chroot", str(root), "/usr/sbin/s3wwwd", "-t", "-c",
                        "/etc/s3wwwd/s3wwwd.conf"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # rpm agrees that everything is as packaged.
    v = rpm_root(root, "-V", "--nodeps", "s3wwwd", check=False)   # no rpm-packaged libc here
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr

    # Erase: an edited %config(noreplace) file is saved, everything else goes.
    conf = root / "etc/s3wwwd/s3wwwd.conf"
    conf.write_text(conf.read_text() + "# edited\n")
    p = rpm_root(root, "-e", "--nodeps", "s3wwwd", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not (root / "usr/sbin/s3wwwd").exists()
    assert not (root / "usr/lib/systemd/system/s3wwwd.service").exists()
    assert (root / "etc/s3wwwd/s3wwwd.conf.rpmsave").read_text().endswith("# edited\n")
    assert not (root / "etc/s3wwwd/s3wwwd.env").exists()


def dnf(root, repo, *args):
    """Debian's dnf against the repository alone, in a scratch root, with the
    repository's metadata signature checked against its published key.

    Checking the signature starts a gpg-agent for the keyring dnf keeps in
    the root, which outlives dnf: it is stopped here, so that a run leaves no
    process behind."""
    try:
        return subprocess.run(
            ["dnf", "-q", "-y", "--installroot", str(root), "--setopt=reposdir=/dev/null",
             "--releasever=1", "--repofrompath=s3wwwd,%s/rpm" % repo.url,
             "--setopt=s3wwwd.repo_gpgcheck=1", "--setopt=s3wwwd.skip_if_unavailable=False",
             "--setopt=s3wwwd.gpgcheck=0", "--setopt=s3wwwd.gpgkey=%s/s3wwwd.asc" % repo.url,
             "repoquery", "--repo=s3wwwd"] + list(args),
            capture_output=True, text=True)
    finally:
        for home in glob.glob(os.path.join(str(root), "var/cache/dnf/*/pubring")):
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"],
                           capture_output=True, check=True)


def test_dnf_reads_the_rpm_repository(pkgs, repo, tmp_path):
    """The rpm repository as dnf users add it (packaging/README.md): both
    published versions, their requirements, and a signature that is checked
    (a changed repomd.xml is refused)."""
    repo.publish(pkgs.next_rpm)
    r = dnf(tmp_path / "root", repo, "--qf", "%{name} %{version}-%{release} %{arch}", "s3wwwd")
    assert r.returncode == 0, r.stderr
    found = sorted(r.stdout.split("\n")[:-1])
    want = sorted("s3wwwd %s %s" % (rpmq("-qp", "--qf", "%{VERSION}-%{RELEASE}", str(f)),
                                    rpmq("-qp", "--qf", "%{ARCH}", str(f)))
                  for f in (pkgs.rpm, pkgs.next_rpm))
    assert found == want, (found, want)
    r = dnf(tmp_path / "root2", repo, "--requires", "s3wwwd")
    assert r.returncode == 0, r.stderr
    for need in ("libcurl.so.4()(64bit)", "libconfig.so.9()(64bit)", "libssl.so.3()(64bit)",
                 "/usr/bin/kill"):
        assert need in r.stdout.split("\n"), (need, r.stdout)
    repomd = repo.dir / "rpm" / "repodata" / "repomd.xml"
    good = repomd.read_bytes()
    try:
        repomd.write_bytes(good + b"<!-- changed after signing -->\n")
        r = dnf(tmp_path / "root3", repo, "s3wwwd")
        assert r.returncode != 0 and "Bad GPG signature" in r.stderr, r.stdout + r.stderr
    finally:
        repomd.write_bytes(good)
    # No gpg-agent of those keyrings is left running (gpgconf --kill asks it
    # to exit; it takes a moment to do so).
    def agents():
        left = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ")
            except OSError:
                continue
            if cmd.startswith(b"gpg-agent") and str(tmp_path).encode() in cmd:
                left.append((int(pid), cmd))
        return left
    deadline = time.monotonic() + 10
    while agents() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = agents()
    for pid, _ in left:
        os.kill(pid, 15)  # ours: not left behind even when the check fails
    assert left == []
