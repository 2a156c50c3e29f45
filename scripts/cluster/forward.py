#!/usr/bin/env python3
"""Forward a port on this machine's loopback to an address inside the
cluster's network namespace (scripts/cluster.sh forward).

usage: forward.py NETNS_PATH LISTEN_PORT TARGET_HOST TARGET_PORT

The cluster has no route out and none in: its Service addresses exist only
inside its namespace.  This process listens on 127.0.0.1 of the machine,
then moves itself into the cluster's namespace, so that every connection it
makes from then on starts there; the listening socket stays where it was
made.  A browser on the machine can then open the site that Terraform
deployed, and nothing else can reach the cluster.
"""

import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        # Half-close, so that the other direction can finish its answer.
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def serve(client, target):
    try:
        upstream = socket.create_connection(target, timeout=10)
        upstream.settimeout(None)
    except OSError as e:
        print(f"forward: cannot reach {target[0]}:{target[1]}: {e}", file=sys.stderr)
        client.close()
        return
    t = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    t.start()
    pipe(client, upstream)
    t.join()
    client.close()
    upstream.close()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    netns, port, host, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    # Python 3.11 has no os.setns; libc's does the same.
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(netns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit(f"forward: setns {netns}: {os.strerror(ctypes.get_errno())}")
    os.close(fd)
    print(f"forward: http://127.0.0.1:{port}/ -> {host}:{tport} in {netns} (Ctrl-C stops)",
          file=sys.stderr, flush=True)
    try:
        while True:
            client, _ = listener.accept()
            threading.Thread(target=serve, args=(client, (host, tport)), daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
