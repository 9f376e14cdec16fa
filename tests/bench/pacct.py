#!/usr/bin/env python3
"""BSD process accounting for the benchmark's backend-CPU figure (issue 14).

A backend that exits within a measured window (pg_top opens one per
refresh) can no longer be read from /proc; the kernel's process accounting
writes one record per exiting process, with its pid, its parent's pid and
its user and system CPU.  Reading those records for the pids a tool's role
held gives that tool's exited backends' CPU, and nobody else's (the
postmaster's cutime+cstime would also count autovacuum workers and any
other child it reaps).

    pacct.py on FILE           start accounting into FILE (needs CAP_SYS_PACCT)
    pacct.py off               stop accounting
    pacct.py cpu FILE OFFSET PPID PID...
                               seconds of user+system CPU of the records
                               written after byte OFFSET by the processes
                               PID... whose parent is PPID, and how many
                               records: "SECONDS COUNT"

Records are struct acct_v3 (linux/acct.h, 64 bytes); times are comp_t in
AHZ (100) ticks, the resolution /proc/PID/stat has too.
"""
import ctypes
import os
import struct
import sys

AHZ = 100
RECORD = struct.Struct("<BBHIIIIIIfHHHHHHHH16s")


def comp_t(c):
    return (c & 0x1FFF) << (3 * (c >> 13))


def acct(path):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.acct(path) != 0:
        err = ctypes.get_errno()
        sys.exit("pacct: acct(%s): %s" % (path, os.strerror(err)))


def cpu(path, offset, ppid, pids):
    total = 0
    count = 0
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    for i in range(0, len(data) - RECORD.size + 1, RECORD.size):
        r = RECORD.unpack_from(data, i)
        version, pid, parent = r[1] & 0x0F, r[6], r[7]
        if version != 3 or parent != ppid or pid not in pids:
            continue
        total += comp_t(r[10]) + comp_t(r[11])
        count += 1
    print("%.3f %d" % (total / AHZ, count))


def main(argv):
    if len(argv) >= 3 and argv[1] == "on":
        open(argv[2], "ab").close()
        acct(os.fsencode(argv[2]))
    elif len(argv) == 2 and argv[1] == "off":
        acct(None)
    elif len(argv) >= 5 and argv[1] == "cpu":
        cpu(argv[2], int(argv[3]), int(argv[4]), {int(p) for p in argv[5:]})
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
