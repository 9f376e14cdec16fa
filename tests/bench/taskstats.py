#!/usr/bin/env python3
"""The CPU of processes that exit, for the benchmark's backend-CPU figure
(issue 14), read from the kernel's taskstats (Documentation/accounting/
taskstats.rst): the kernel sends one record per exiting task to whoever
listens; its cpu_run_virtual_total is the task's sum_exec_runtime, the
nanoseconds it ran.

Why not process accounting or /proc/PID/stat: both give utime and stime,
which are sampled at the timer tick (cpu_run_real_total, their sum here,
comes in 4 ms steps on this machine).  A backend that lives for one refresh
(pg_top opens one a second) runs a few milliseconds, often between two
ticks, and is counted as next to nothing.  40 psql sessions of 5 queries
each ran 245 ms by /proc/PID/schedstat just before they quit, and read 0 ms
in /proc/PID/stat and 30 ms in process accounting; in a second run of 40,
259 ms by schedstat before they quit were 282 ms here (their exits
included).  Live backends are read from /proc/PID/schedstat, the same
clock (bench.sh: role_backends_cpu).

    taskstats.py listen FILE     append "pid ppid nanoseconds comm" per exiting
                                 task to FILE until killed; "ready" on stdout
                                 once registered (needs CAP_NET_ADMIN)
    taskstats.py cpu FILE OFFSET PPID PID...
                                 seconds the tasks PID... whose parent is PPID
                                 ran, from the records written after byte
                                 OFFSET, and how many: "SECONDS COUNT"
"""
import os
import signal
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_FAMILY_ID = 0x10, 3, 2, 1
TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK = 1, 3
TASKSTATS_TYPE_PID, TASKSTATS_TYPE_STATS, TASKSTATS_TYPE_AGGR_PID = 1, 3, 4
# struct taskstats (linux/taskstats.h), the fields read here.
RUN_VIRTUAL_TOTAL, COMM, PPID = 72, 80, 132  # cpu_run_virtual_total, ac_comm, ac_ppid


def nla(kind, data):
    n = 4 + len(data)
    return struct.pack("HH", n, kind) + data + b"\0" * (-n % 4)


def request(family, cmd, attrs):
    payload = struct.pack("BBH", cmd, 1, 0) + attrs
    return struct.pack("IHHII", 16 + len(payload), family, 1, 1, os.getpid()) + payload


def attributes(buf, off, end):
    while off + 4 <= end:
        n, kind = struct.unpack_from("HH", buf, off)
        if n < 4:
            return
        yield kind & 0x3FFF, off + 4, off + n
        off += (n + 3) & ~3


def listen(path):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((0, 0))
    s.send(request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, nla(CTRL_ATTR_FAMILY_NAME, b"TASKSTATS\0")))
    reply = s.recv(65536)
    family = next((struct.unpack_from("H", reply, a)[0]
                   for kind, a, _ in attributes(reply, 20, len(reply)) if kind == CTRL_ATTR_FAMILY_ID), None)
    if family is None:
        sys.exit("taskstats: the kernel has no TASKSTATS family")
    cpus = "0-%d" % (os.cpu_count() - 1)
    s.send(request(family, TASKSTATS_CMD_GET, nla(TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpus.encode() + b"\0")))
    out = open(path, "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        buf = s.recv(1 << 16)
        off = 0
        while off + 16 <= len(buf):
            n, kind = struct.unpack_from("IH", buf, off)
            if n < 16:
                break
            if kind == family:
                for t, a, e in attributes(buf, off + 20, off + n):
                    if t == TASKSTATS_TYPE_AGGR_PID:
                        record(out, buf, a, e)
            elif kind == 2:  # NLMSG_ERROR: registration refused
                err = -struct.unpack_from("i", buf, off + 16)[0]
                if err:
                    sys.exit("taskstats: register: %s" % os.strerror(err))
            off += (n + 3) & ~3


def record(out, buf, a, e):
    pid = stats = None
    for t, a2, _ in attributes(buf, a, e):
        if t == TASKSTATS_TYPE_PID:
            pid = struct.unpack_from("I", buf, a2)[0]
        elif t == TASKSTATS_TYPE_STATS:
            stats = a2
    if pid is None or stats is None:
        return
    ns = struct.unpack_from("Q", buf, stats + RUN_VIRTUAL_TOTAL)[0]
    ppid = struct.unpack_from("I", buf, stats + PPID)[0]
    comm = buf[stats + COMM:stats + COMM + 32].split(b"\0")[0].decode("ascii", "replace").replace(" ", "_")
    out.write("%d %d %d %s\n" % (pid, ppid, ns, comm or "-"))


def cpu(path, offset, ppid, pids):
    total = count = 0
    with open(path) as f:
        f.seek(offset)
        for line in f:
            fields = line.split()
            if len(fields) >= 3 and int(fields[0]) in pids and int(fields[1]) == ppid:
                total += int(fields[2])
                count += 1
    print("%.6f %d" % (total / 1e9, count))


def main(argv):
    if len(argv) == 3 and argv[1] == "listen":
        listen(argv[2])
    elif len(argv) >= 5 and argv[1] == "cpu":
        cpu(argv[2], int(argv[3]), int(argv[4]), {int(p) for p in argv[5:]})
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
